package repro

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// compareBuilds names the first differing file of a cell and, when
// diffoscope is installed, writes its report.
func TestCompareBuildsNamesTheDifference(t *testing.T) {
	c := Check{Run: toolchain.Exec}
	r := &recipe.Recipe{Name: "hello"}
	j := pipeline.Job{Cell: recipe.Cell{Recipe: "hello", Platform: recipe.ARM64, Toolchain: "gcc", Linkage: recipe.Static}, Recipe: r}
	var cfgs [2]pipeline.Options
	var reps [2]*pipeline.Report
	for i, content := range []string{"same", "same"} {
		cfgs[i] = pipeline.Options{OutDir: t.TempDir(), HostPath: filepath.SplitList(os.Getenv("PATH"))}
		out := outdir.Path(cfgs[i].OutDir)
		for _, p := range []string{filepath.Join(out.Bin(j.Cell), "hello"), out.Archive(j.Cell)} {
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		reps[i] = &pipeline.Report{Jobs: []pipeline.Job{j}, Results: map[string]*pipeline.Result{j.Cell.String(): {Job: j}}}
	}
	if res := c.compareBuilds(t.Context(), cfgs, reps); len(res) != 1 || !res[0].Identical {
		t.Fatalf("identical outputs: %+v", res)
	}
	// The archive differs in the second build.
	if err := os.WriteFile(outdir.Path(cfgs[1].OutDir).Archive(j.Cell), []byte("other"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := c.compareBuilds(t.Context(), cfgs, reps)
	if len(res) != 1 || res[0].Identical || res[0].FirstDiff != "docker/hello_gcc-static_arm64.tar" {
		t.Fatalf("differing archive: %+v", res)
	}
	if res[0].Report != "" {
		if data, err := os.ReadFile(res[0].Report); err != nil || !strings.Contains(string(data), "other") {
			t.Errorf("diffoscope report %s: %v\n%s", res[0].Report, err, data)
		}
	}
	// A failed build is a difference too.
	reps[1].Results[j.Cell.String()].Err = os.ErrNotExist
	if res := c.compareBuilds(t.Context(), cfgs, reps); res[0].Identical || !strings.Contains(res[0].FirstDiff, "a build failed") {
		t.Fatalf("failed build: %+v", res)
	}
}
