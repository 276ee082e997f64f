package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/shard"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

// Every kind of flag sets its variable and wins over the environment: a
// value, a list given twice and by its plural, a boolean, a negated one.
func TestFlagsBeatEnvironment(t *testing.T) {
	c := &CLI{root: t.TempDir(), out: &bytes.Buffer{}, log: &bytes.Buffer{},
		env: []string{"FROMSCRATCH_CACHE=/c", "FROMSCRATCH_JOBS=7", "FROMSCRATCH_PLATFORMS=linux/riscv64", "FROMSCRATCH_VERBOSE=0", "FROMSCRATCH_SMOKE=1", "FROMSCRATCH_OUT=/env-out"}}
	// version reads no configuration: the flags are only parsed here.
	args := []string{"-j", "2", "--platform", "arm64", "--platforms=amd64", "-v", "--no-smoke", "--linkage", "static", "--out=/flag-out", "version"}
	if err := c.Run(t.Context(), args); err != nil {
		t.Fatal(err)
	}
	cfg, err := c.config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Jobs != 2 || len(cfg.Platforms) != 2 || cfg.Platforms[0] != "linux/arm64" || cfg.Platforms[1] != "linux/amd64" ||
		!cfg.Verbose || cfg.Smoke || len(cfg.Linkages) != 1 || cfg.Linkages[0] != "static" || cfg.OutDir != "/flag-out" || cfg.CacheDir != "/c" {
		t.Errorf("flags over the environment: %+v", cfg)
	}
	// Without flags the environment holds, and a negated flag can be
	// turned back: --no-smoke=false smokes.
	if err := c.Run(t.Context(), []string{"--no-smoke=false", "version"}); err != nil {
		t.Fatal(err)
	}
	if cfg, err = c.config(); err != nil || cfg.Jobs != 7 || cfg.Platforms[0] != "linux/riscv64" || !cfg.Smoke || cfg.Verbose {
		t.Errorf("environment alone: %+v, %v", cfg, err)
	}
	// A bad value is named by its flag, not by the variable it overrides.
	c.Run(t.Context(), []string{"--jobs", "0", "-p", "s390x", "version"})
	_, err = c.config()
	for _, want := range []string{`--jobs="0"`, `--platform="s390x"`, "2 bad settings"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad flags: %v, want %s", err, want)
		}
	}
	if ExitCode(err) != ExitUsage {
		t.Errorf("bad flags: exit code %d, want %d", ExitCode(err), ExitUsage)
	}
}

// A flag reaches a real verb: ci plan's platforms are the flag's, not the
// environment's.
func TestFlagReachesVerb(t *testing.T) {
	c, out, _ := testCLI(t, repoRoot(t), "FROMSCRATCH_PLATFORMS=linux/arm64")
	if err := c.Run(t.Context(), []string{"ci", "plan", "--platform", "riscv64", "--toolchain", "zig"}); err != nil {
		t.Fatal(err)
	}
	var m shard.Matrix
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Include) != 1 || m.Include[0].Platforms != "linux/riscv64" || m.Include[0].Toolchains != "zig" {
		t.Errorf("plan with --platform riscv64 --toolchain zig over FROMSCRATCH_PLATFORMS=linux/arm64: %+v", m.Include)
	}
}

// A FROMSCRATCH_* variable fromscratch does not read is refused with the
// closest one it does, before anything is built.
func TestUnknownVariableRefused(t *testing.T) {
	_, err := LoadConfig(t.TempDir(), []string{"FROMSCRATCH_CACHE=/c", "FROMSCRATCH_PLATFORM=linux/amd64", "FROMSCRATCH_FROBNICATE=1"})
	if err == nil || !strings.Contains(err.Error(), "FROMSCRATCH_PLATFORM: no such variable (did you mean FROMSCRATCH_PLATFORMS?)") {
		t.Errorf("FROMSCRATCH_PLATFORM: %v", err)
	}
	if err == nil || !strings.Contains(err.Error(), "FROMSCRATCH_FROBNICATE: no such variable (fromscratch help") {
		t.Errorf("FROMSCRATCH_FROBNICATE, close to nothing: %v", err)
	}
	c, out, _ := testCLI(t, repoRoot(t))
	c.env = append(c.env, "FROMSCRATCH_PLATFORM=linux/amd64")
	err = c.Run(t.Context(), []string{"build", "hello"})
	if err == nil || !strings.Contains(err.Error(), "FROMSCRATCH_PLATFORMS") || ExitCode(err) != ExitUsage {
		t.Errorf("build with FROMSCRATCH_PLATFORM: %v (exit %d)", err, ExitCode(err))
	}
	if out.Len() > 0 {
		t.Errorf("build with FROMSCRATCH_PLATFORM printed %q: it should stop before building", out)
	}
}

// Mistyped commands and flags get the closest right one, and a bad
// command line exits 2.
func TestSuggestions(t *testing.T) {
	c := &CLI{out: &bytes.Buffer{}, log: &bytes.Buffer{}}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"biuld:all"}, `unknown command "biuld" for "fromscratch" (did you mean build?)`},
		{[]string{"image", "lod"}, `unknown command "lod" for "fromscratch image" (did you mean load?)`},
		{[]string{"bench", "fiels"}, `(did you mean files?)`},
		{[]string{"build", "--platfrom", "amd64"}, "build: unknown flag: --platfrom (did you mean --platform?)"},
		{[]string{"matrix:show", "--json"}, "--json: only build"},
		{[]string{"frobnicate"}, `unknown command "frobnicate" for "fromscratch" (fromscratch help`},
		{[]string{"image"}, "want a command: all, history, load, run, wrap"},
	} {
		err := c.Run(t.Context(), tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) || ExitCode(err) != ExitUsage {
			t.Errorf("%q: %v (exit %d), want %q and exit 2", tc.args, err, ExitCode(err), tc.want)
		}
	}
	for word, want := range map[string]string{"FROMSCRATCH_PLATFORM": "FROMSCRATCH_PLATFORMS", "--toolchian": "--toolchain", "zzz": ""} {
		if got := recipe.Closest(word, []string{"FROMSCRATCH_PLATFORMS", "FROMSCRATCH_TOOLCHAINS", "--toolchain", "--out"}); got != want {
			t.Errorf("closest(%q) = %q, want %q", word, got, want)
		}
	}
}

// help names every flag with its variable, for the root and for a verb,
// on stdout.
func TestHelpNamesFlags(t *testing.T) {
	for _, args := range [][]string{{"build", "--help"}, {"help", "build"}, {"build:recipe", "-h"}, {"help"}} {
		var out, log bytes.Buffer
		c := &CLI{out: &out, log: &log}
		if err := c.Run(t.Context(), args); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		for _, v := range Variables {
			if v.Flag != "" && (!strings.Contains(out.String(), "--"+v.Flag) || !strings.Contains(out.String(), v.Name)) {
				t.Errorf("%q does not name --%s and %s:\n%s", args, v.Flag, v.Name, out.String())
			}
		}
		if !strings.Contains(out.String(), "--json") {
			t.Errorf("%q does not name --json", args)
		}
		if log.Len() > 0 {
			t.Errorf("%q wrote help to stderr: %q", args, log.String())
		}
	}
}

// version prints fromscratch's version and the commit of the build info.
func TestVersion(t *testing.T) {
	var b bytes.Buffer
	writeVersion(&b, &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/fromscratch/fromscratch", Version: "v0.3.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "b3f06eb2c4d5"}, {Key: "vcs.time", Value: "2026-12-05T07:00:00Z"}, {Key: "vcs.modified", Value: "true"}}})
	for _, want := range []string{"fromscratch " + Version + "\n", "module github.com/fromscratch/fromscratch v0.3.0\n", "commit b3f06eb2c4d5 (2026-12-05T07:00:00Z, modified)\n", "go go1.26.8\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("version:\n%s\nwant %q", b.String(), want)
		}
	}
	b.Reset()
	writeVersion(&b, &debug.BuildInfo{Main: debug.Module{Path: "github.com/fromscratch/fromscratch", Version: "(devel)"}})
	if !strings.Contains(b.String(), "commit unknown") {
		t.Errorf("version without VCS information:\n%s", b.String())
	}
	var out bytes.Buffer
	if err := (&CLI{out: &out, log: &bytes.Buffer{}}).Run(t.Context(), []string{"version"}); err != nil || !strings.HasPrefix(out.String(), "fromscratch "+Version+"\n") {
		t.Errorf("fromscratch version: %v\n%s", err, out.String())
	}
}

// completion writes a script for bash, zsh and fish, and the scripts'
// callback completes recipes, platforms and commands.
func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{"bash": "__start_fromscratch", "zsh": "#compdef fromscratch", "fish": "complete -c fromscratch"} {
		var out bytes.Buffer
		if err := (&CLI{out: &out, log: &bytes.Buffer{}}).Run(t.Context(), []string{"completion", shell}); err != nil {
			t.Fatalf("completion %s: %v", shell, err)
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("completion %s has no %q:\n%.500s", shell, want, out.String())
		}
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "build", "recipe", ""}, []string{"hello\n", "jq\n"}},
		{[]string{"__complete", "build", "--platform", ""}, []string{"linux/arm/v7\n", "linux/riscv64\n"}},
		{[]string{"__complete", "build", "-t", ""}, []string{"gcc\n", "zig\n", "prebuilt\n"}},
		{[]string{"__complete", "ima"}, []string{"image\t"}},
		{[]string{"__complete", "image", ""}, []string{"history\t", "wrap\t"}},
	} {
		var out bytes.Buffer
		if err := (&CLI{root: repoRoot(t), out: &out, log: &bytes.Buffer{}}).Run(t.Context(), tc.args); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%q: no %q in\n%s", tc.args, w, out.String())
			}
		}
	}
}

// The README's table of settings has a row per variable, naming its
// flag.
func TestREADMEVariables(t *testing.T) {
	readme := mustRead(t, filepath.Join(repoRoot(t), "README.md"))
	_, section, _ := strings.Cut(readme, "### Settings: flags and environment\n")
	section, _, _ = strings.Cut(section, "\n### ")
	rows := map[string]string{} // variable: flag cell
	for _, l := range strings.Split(section, "\n") {
		if cells := strings.Split(l, " | "); len(cells) >= 3 && strings.HasPrefix(l, "| ") {
			rows[strings.Trim(cells[1], "`")] = strings.TrimPrefix(cells[0], "| ")
		}
	}
	for _, v := range Variables {
		flag, ok := rows[v.Name]
		switch {
		case !ok:
			t.Errorf("README: no row for %s", v.Name)
		case v.Flag != "" && !strings.HasPrefix(flag, "`--"+v.Flag+"`"):
			t.Errorf("README: the row of %s names %q, want --%s", v.Name, flag, v.Flag)
		case v.Flag == "" && flag != "|":
			t.Errorf("README: the row of %s names a flag %q; it has none", v.Name, flag)
		}
	}
	if len(rows) != len(Variables)+1 { // and the header
		t.Errorf("README: %d rows, %d variables", len(rows)-1, len(Variables))
	}
}

// build, release and release push --json print one document each on
// stdout, with the cell's status, digest, sizes and files; progress and
// the summary go to stderr. One cell: hello, gcc, static, amd64, without
// a smoke run (a few seconds, most of it the release's SBOM facts).
func TestJSONResults(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles one cell")
	}
	c, _, cfg := testCLI(t, repoRoot(t))
	cell := []string{"-r", "hello", "-p", "linux/amd64", "-t", "gcc", "-l", "static", "--no-smoke", "--json"}
	run := func(args ...string) (stdout, stderr *bytes.Buffer) {
		t.Helper()
		stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
		c.out, c.log = stdout, stderr
		if err := c.Run(t.Context(), append(args, cell...)); err != nil {
			t.Fatalf("%q: %v\n%s", args, err, stderr.String())
		}
		return stdout, stderr
	}
	stdout, stderr := run("build", "hello")
	var res BuildJSON
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout.String())
	}
	if res.SchemaVersion != JSONSchema || res.Command != "build" || len(res.Cells) != 1 || res.Counts[matrix.StatusBuilt] != 1 || res.Out != cfg.OutDir {
		t.Fatalf("build --json: %+v", res)
	}
	got := res.Cells[0]
	if got.Recipe != "hello" || got.Platform != "linux/amd64" || got.Toolchain != "gcc" || got.Linkage != "static" ||
		got.Status != matrix.StatusBuilt || !strings.HasPrefix(got.Digest, "sha256:") || got.Sizes.Binary <= 0 || got.Sizes.ImageRegistry <= 0 || got.Origin == "" {
		t.Errorf("cell: %+v", got)
	}
	for _, p := range []string{got.Binary, got.Log, got.Docker, got.OCI, res.Matrix} {
		if _, err := os.Stat(p); err != nil { // out/ is outside the project here: absolute paths
			t.Errorf("a path of the result: %v", err)
		}
	}
	if !strings.Contains(stderr.String(), "cells: 1 built") || strings.Contains(stdout.String(), "cells:") {
		t.Errorf("the summary belongs on stderr:\nstdout %s\nstderr %s", stdout.String(), stderr.String())
	}

	stdout, _ = run("release")
	var rel ReleaseJSON
	if err := json.Unmarshal(stdout.Bytes(), &rel); err != nil {
		t.Fatalf("release --json: %v\n%s", err, stdout.String())
	}
	if rel.Command != "release" || len(rel.Cells) != 1 || rel.Cells[0].Digest != got.Digest || rel.Cells[0].SBOM == "" {
		t.Fatalf("release --json: %+v", rel)
	}
	for _, p := range []string{rel.Release, rel.SHA256SUMS, rel.Cells[0].SBOM} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("a path of the release: %v", err)
		}
	}

	stdout, _ = run("toolchains", "list")
	var tcs ToolchainsJSON
	if err := json.Unmarshal(stdout.Bytes(), &tcs); err != nil {
		t.Fatalf("toolchains list --json: %v\n%s", err, stdout.String())
	}
	gcc := slices.IndexFunc(tcs.Toolchains, func(tc ToolchainJSON) bool { return tc.Toolchain == "gcc" && tc.Platform == "linux/amd64" })
	if tcs.Command != "toolchains list" || gcc < 0 || !tcs.Toolchains[gcc].Available || tcs.Toolchains[gcc].Version == "" || tcs.Toolchains[gcc].StaticLibc != "glibc" {
		t.Errorf("toolchains list --json: %+v", tcs)
	}

	reg := testutil.StartRegistry(t)
	stdout, _ = run("release", "push", reg.Host+"/fs")
	var push PushJSON
	if err := json.Unmarshal(stdout.Bytes(), &push); err != nil {
		t.Fatalf("release push --json: %v\n%s", err, stdout.String())
	}
	if push.Command != "release push" || len(push.Indexes) != 1 || push.Indexes[0].Ref != reg.Host+"/fs/hello:gcc-static" ||
		len(push.Indexes[0].Images) != 1 || push.Indexes[0].Images[0].Digest != got.Digest || push.Indexes[0].Images[0].SBOM == "" {
		t.Errorf("release push --json: %+v", push)
	}
}

// Paths of a result inside the project are relative to it; a failed
// cell has its status and reason and no image.
func TestBuildJSONPaths(t *testing.T) {
	root := t.TempDir()
	cfg := Config{Root: root, OutDir: filepath.Join(root, "out")}
	ok := recipe.Cell{Recipe: "hello", Platform: recipe.AMD64, Toolchain: "gcc", Linkage: recipe.Static}
	bad := ok
	bad.Linkage = recipe.Dynamic
	rep := &pipeline.Report{
		Jobs: []pipeline.Job{{Cell: ok}, {Cell: bad}},
		Results: map[string]*pipeline.Result{
			ok.String():  {Binary: filepath.Join(root, "out", "bin", "hello"), Archive: filepath.Join(root, "out", "docker", "hello.tar"), Origin: pipeline.OriginCompiled},
			bad.String(): {Binary: filepath.Join(root, "out", "bin", "hello-dyn"), Err: errors.New("compiling: boom")},
		},
		Matrix: &matrix.Matrix{Rows: []matrix.Row{
			{Recipe: "hello", Platform: "linux/amd64", Toolchain: "gcc", Linkage: "static", Status: matrix.StatusBuilt, Digest: "sha256:ab"},
			{Recipe: "hello", Platform: "linux/amd64", Toolchain: "gcc", Linkage: "dynamic", Status: matrix.StatusFailed, Reason: "compiling: boom"},
		}},
	}
	res := buildJSON(cfg, "build", rep, nil)
	if res.Out != "out" || res.Matrix != filepath.Join("out", "matrix.json") || len(res.Cells) != 2 {
		t.Fatalf("result: %+v", res)
	}
	if c := res.Cells[0]; c.Binary != "out/bin/hello" || c.Docker != "out/docker/hello.tar" || c.OCI != "out/oci/hello" || c.Digest != "sha256:ab" || c.Origin != "compiled" {
		t.Errorf("built cell: %+v", c)
	}
	if c := res.Cells[1]; c.Status != matrix.StatusFailed || c.Reason != "compiling: boom" || c.Docker != "" || c.Origin != "" {
		t.Errorf("failed cell: %+v", c)
	}
	if res.Counts[matrix.StatusBuilt] != 1 || res.Counts[matrix.StatusFailed] != 1 {
		t.Errorf("counts: %v", res.Counts)
	}
}
