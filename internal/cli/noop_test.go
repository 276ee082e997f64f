package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/smoke"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

// A build that changes nothing is replayed from its record (noop.go): it
// prints exactly what the same build run in full prints, and any change
// to an input, an output, the settings or the record itself makes the next
// build run in full again, and correctly.
func TestNoOpIsReplayed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two cells in the build root and runs their images")
	}
	needEngine(t)
	project := t.TempDir()
	if err := os.CopyFS(filepath.Join(project, "recipes", "hello"), os.DirFS(filepath.Join(repoRoot(t), "recipes", "hello"))); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(project, "toolchains"), os.DirFS(filepath.Join(repoRoot(t), "toolchains"))); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(project, "out")
	c, log, _ := testCLI(t, project, "FROMSCRATCH_CACHE="+testutil.CacheDir(t), "FROMSCRATCH_OUT="+out,
		"FROMSCRATCH_PLATFORMS=linux/amd64", "FROMSCRATCH_TOOLCHAINS=gcc")
	var stdout bytes.Buffer
	c.out = &stdout
	run := func(why string, args ...string) (printed string, replayed bool) {
		t.Helper()
		log.Reset()
		stdout.Reset()
		before := c.replayed
		if err := c.Run(t.Context(), append([]string{"build", "all"}, args...)); err != nil {
			t.Fatalf("build all %v (%s): %v\n%s", args, why, err, log)
		}
		return log.String() + stdout.String(), c.replayed > before
	}
	record := func() string {
		t.Helper()
		recs, _ := filepath.Glob(filepath.Join(testutil.CacheDir(t), "uptodate", "*.json"))
		for _, r := range recs {
			if data, err := os.ReadFile(r); err == nil && strings.Contains(string(data), out) {
				return r
			}
		}
		t.Fatalf("no record of %s in %s/uptodate", out, testutil.CacheDir(t))
		return ""
	}

	if _, replayed := run("the first build"); replayed {
		t.Fatal("the first build was replayed")
	}
	oci := testutil.ReadTree(t, filepath.Join(out, "oci"))
	replay, replayed := run("unchanged")
	if !replayed {
		t.Fatalf("an unchanged build was not replayed:\n%s", replay)
	}
	if err := os.Remove(record()); err != nil {
		t.Fatal(err)
	}
	full, replayed := run("unchanged, without its record")
	if replayed {
		t.Fatal("a build without a record was replayed")
	}
	if replay != withoutProgress(full) {
		t.Errorf("the replay printed\n%s\nthe same build in full (less its progress lines)\n%s", replay, full)
	}
	if !strings.Contains(full, "2 kept from out/bin") || !strings.Contains(full, "2 unchanged") {
		t.Errorf("the build in full was not a no-op:\n%s", full)
	}
	if got, replayed := run("unchanged, in JSON", "--json"); replayed || !strings.Contains(got, `"origin": "kept"`) {
		t.Errorf("the first build with --json was replayed (%v) or not a no-op:\n%s", replayed, got)
	}
	if got, replayed := run("unchanged, in JSON", "--json"); !replayed || !strings.Contains(got, `"origin": "kept"`) {
		t.Errorf("the second build with --json was not replayed (%v) or not the no-op's JSON:\n%s", replayed, got)
	}
	run("back to text")

	time.Sleep(10 * time.Millisecond) // past the file system's timestamp granularity
	src := filepath.Join(project, "recipes", "hello", "hello.c")
	text, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	blobs, _ := filepath.Glob(filepath.Join(out, "oci", "hello", "blobs", "sha256", "*"))
	if len(blobs) == 0 {
		t.Fatal("no blobs in out/oci/hello")
	}
	changes := []struct {
		name   string
		change func() error
	}{
		{"an input written again with the same bytes", func() error { return os.WriteFile(src, text, 0o644) }},
		{"a new file in recipes/", func() error {
			return os.WriteFile(filepath.Join(project, "recipes", "NOTES"), []byte("not a recipe\n"), 0o644)
		}},
		{"a toolchain file written again", func() error {
			p := filepath.Join(project, "toolchains", "gcc.toml")
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(p, data, 0o644)
		}},
		{"a damaged blob in out/oci", func() error { return os.WriteFile(blobs[0], []byte("damaged"), 0o644) }},
		{"a removed image archive", func() error {
			tars, _ := filepath.Glob(filepath.Join(out, "docker", "*.tar"))
			if len(tars) == 0 {
				return os.ErrNotExist
			}
			return os.Remove(tars[0])
		}},
		{"a damaged record", func() error { return os.WriteFile(record(), []byte(`{"version":1,`), 0o644) }},
	}
	for _, ch := range changes {
		if err := ch.change(); err != nil {
			t.Fatalf("%s: %v", ch.name, err)
		}
		if got, replayed := run(ch.name); replayed {
			t.Errorf("after %s, the build was replayed:\n%s", ch.name, got)
		}
		if got, replayed := run("unchanged after " + ch.name); !replayed {
			t.Errorf("after %s and a build in full, the next build was not replayed:\n%s", ch.name, got)
		}
	}
	if got := testutil.ReadTree(t, filepath.Join(out, "oci")); len(got) != len(oci) {
		t.Errorf("out/oci holds %d files after the damage was repaired, %d before", len(got), len(oci))
	} else {
		for name, data := range oci {
			if !bytes.Equal(got[name], data) {
				t.Errorf("out/oci/%s differs after the damage was repaired", name)
			}
		}
	}

	// Other settings are another build: not the record's, which they
	// replace; the first settings then build in full once more.
	if got, replayed := run("static only", "--linkage", "static"); replayed || !strings.Contains(got, "cells: 1 built") {
		t.Errorf("a build of other settings was replayed (%v) or built other than one cell:\n%s", replayed, got)
	}
	if got, replayed := run("static only, again", "--linkage", "static"); !replayed || !strings.Contains(got, "cells: 1 built") {
		t.Errorf("the same build of one cell was not replayed (%v) or printed another run:\n%s", replayed, got)
	}
	if got, replayed := run("both linkages"); replayed || !strings.Contains(got, "cells: 2 built") {
		t.Errorf("the build of both linkages was replayed from the other settings' record (%v):\n%s", replayed, got)
	}
}

// progressLine is one line of CI's progress ("build: 2/2 cells (0 failed,
// 0s)"), which a replay, having nothing to do, does not print.
var progressLine = regexp.MustCompile(`(?m)^\w+: \d+/\d+ cells \(.*\)\n`)

func withoutProgress(s string) string { return progressLine.ReplaceAllString(s, "") }

// The program is named by Go's build ID (four hashes, slash-separated, as
// go tool buildid prints it), which a rebuild of the same code keeps and
// mage's rewrite of its binary's mtime does not change; a file without one
// gives none.
func TestGoBuildID(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	id := goBuildID(exe)
	if parts := strings.Split(id, "/"); len(parts) != 4 || slices.Contains(parts, "") {
		t.Fatalf("goBuildID(%s) = %q, want four slash-separated hashes", exe, id)
	}
	t.Logf("build ID of %s: %s", exe, id)
	copied := filepath.Join(t.TempDir(), "copy")
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copied, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := goBuildID(copied); got != id {
		t.Errorf("a copy of the program (another file, another mtime) has build ID %q, the program %q", got, id)
	}
	for name, content := range map[string][]byte{"not an ELF file": []byte("#!/bin/sh\n"), "an ELF file without the note": readFile(t, "../elfdeps/testdata/hello-amd64-static")} {
		p := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(p, content, 0o755); err != nil {
			t.Fatal(err)
		}
		if got := goBuildID(p); got != "" {
			t.Errorf("%s: build ID %q, want none", name, got)
		}
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Only a run whose every cell was built (and, with smoke runs, passed its
// smoke run) or is not applicable is recorded: anything else is tried
// again by the next build. The record says what that next build prints:
// every binary kept, every image unchanged, every pass the recorded one.
func TestReplayable(t *testing.T) {
	report := func(change func(j *pipeline.Job, r *pipeline.Result)) *pipeline.Report {
		rep := &pipeline.Report{Results: map[string]*pipeline.Result{}, Matrix: &matrix.Matrix{}}
		for i, p := range []recipe.Platform{recipe.AMD64, recipe.ARM64} {
			j := pipeline.Job{Cell: recipe.Cell{Recipe: "hello", Platform: p, Toolchain: "gcc", Linkage: recipe.Static}, Recipe: &recipe.Recipe{Name: "hello"}}
			r := &pipeline.Result{Job: j, Origin: pipeline.OriginCompiled, Smoke: smoke.Result{Status: smoke.StatusPass}}
			if i == 1 && change != nil {
				change(&j, r)
			}
			rep.Jobs = append(rep.Jobs, j)
			if j.Status == "" {
				rep.Results[j.Cell.String()] = r
			}
		}
		return rep
	}
	smokeOn := Config{Smoke: true}
	if !replayable(smokeOn, report(nil)) {
		t.Error("two cells built and smoke-passed: not replayable")
	}
	if !replayable(smokeOn, report(func(j *pipeline.Job, _ *pipeline.Result) { j.Status = matrix.StatusNotApplicable })) {
		t.Error("a cell not applicable made the run not replayable")
	}
	for name, change := range map[string]func(*pipeline.Job, *pipeline.Result){
		"a failed cell":       func(_ *pipeline.Job, r *pipeline.Result) { r.Err = errors.New("compile: exit 1") },
		"a smoke run skipped": func(_ *pipeline.Job, r *pipeline.Result) { r.Smoke.Status = smoke.StatusSkipped },
		"a smoke run failed":  func(_ *pipeline.Job, r *pipeline.Result) { r.Smoke.Status = smoke.StatusFail },
		"a toolchain missing": func(j *pipeline.Job, _ *pipeline.Result) { j.Status = matrix.StatusUnavailable },
		"a prebuilt recipe": func(j *pipeline.Job, _ *pipeline.Result) {
			j.Recipe = &recipe.Recipe{Name: "hello", Prebuilt: "/usr/bin/hello"}
		},
		"a recipe that is bad": func(j *pipeline.Job, _ *pipeline.Result) { j.Status = matrix.StatusFailed },
	} {
		if replayable(smokeOn, report(change)) {
			t.Errorf("a run with %s is replayable", name)
		}
	}
	if !replayable(Config{Smoke: false}, report(func(_ *pipeline.Job, r *pipeline.Result) { r.Smoke.Status = "" })) {
		t.Error("without smoke runs, a cell with no recorded pass made the run not replayable")
	}
	given := report(nil)
	again := rerun(given)
	for _, r := range again.Results {
		if r.Origin != pipeline.OriginKept || !r.ImageReused || !r.SmokeRecorded {
			t.Errorf("the rerun of %s: origin %s, image reused %v, smoke recorded %v; want kept, true, true", r.Job.Cell, r.Origin, r.ImageReused, r.SmokeRecorded)
		}
	}
	for _, r := range given.Results {
		if r.Origin != pipeline.OriginCompiled || r.ImageReused {
			t.Errorf("rerun changed the report it was given: %s is now %s", r.Job.Cell, r.Origin)
		}
	}
}
