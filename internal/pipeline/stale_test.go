package pipeline

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// A run of part of the matrix keeps the other rows of out/matrix.json
// only when they are of the recipe's current version: a row of an older
// version of the recipe (or of a recipe that is gone) is dropped, never
// shown as current; the rows this run makes carry the version.
func TestOtherRowsOfOlderVersionsAreDropped(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for n, s := range map[string]string{recipe.FileName: "language = \"c\"\nsources = [\"main.c\"]\n", "main.c": "int main(void) { return 0; }\n"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rc, err := recipe.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	gcc := &toolchain.Definition{Name: "gcc"}
	job := Job{Cell: recipe.Cell{Recipe: "demo", Platform: recipe.AMD64, Toolchain: "gcc", Linkage: recipe.Static}, Recipe: rc, Def: gcc,
		Status: matrix.StatusNotApplicable}
	current := Rows(&Report{Jobs: []Job{job}}).Rows[0].RecipeVersion
	if len(current) != len("0+src.")+12 {
		t.Fatalf("the row's recipe version is %q, want 0+src. and 12 hex digits", current)
	}
	row := func(platform, version string) matrix.Row {
		return matrix.Row{Recipe: "demo", Platform: platform, Toolchain: "gcc", Linkage: "static", Status: matrix.StatusBuilt, RecipeVersion: version}
	}
	ghost := row("linux/amd64", current)
	ghost.Recipe = "ghost"
	out := t.TempDir()
	old := &matrix.Matrix{SchemaVersion: matrix.SchemaVersion, Rows: []matrix.Row{
		row("linux/amd64", current), row("linux/arm64", "0+src.000000000000"), row("linux/riscv64", ""), ghost,
	}}
	if err := matrix.WriteAll(out, old); err != nil {
		t.Fatal(err)
	}
	b := New(Options{OutDir: out, Platforms: []recipe.Platform{recipe.ARMv7}})
	var kept, dropped []string
	keptRows, droppedRows := b.otherRows(&Report{}, []*recipe.Recipe{rc})
	for _, r := range keptRows {
		kept = append(kept, r.Recipe+" "+r.Platform)
	}
	for _, r := range droppedRows {
		dropped = append(dropped, r.Recipe+" "+r.Platform)
	}
	if want := []string{"demo linux/amd64"}; !slices.Equal(kept, want) {
		t.Errorf("kept %q, want %q", kept, want)
	}
	if want := []string{"demo linux/arm64", "demo linux/riscv64", "ghost linux/amd64"}; !slices.Equal(dropped, want) {
		t.Errorf("dropped %q, want %q", dropped, want)
	}

	// What the dropped rows had in out/ goes with them (the ghost recipe's
	// layout too); what the kept row has stays.
	o := outdir.Path(out)
	cell := func(name, platform string) recipe.Cell {
		return recipe.Cell{Recipe: name, Platform: recipe.Platform(platform), Toolchain: "gcc", Linkage: recipe.Static}
	}
	var stale, live []string
	for _, c := range []recipe.Cell{cell("demo", "linux/arm64"), cell("demo", "linux/riscv64"), cell("ghost", "linux/amd64")} {
		stale = append(stale, o.Archive(c), filepath.Join(o.Bin(c), c.Recipe))
	}
	stale = append(stale, filepath.Join(o.OCI("ghost"), "index.json"))
	live = append(live, o.Archive(cell("demo", "linux/amd64")), filepath.Join(o.Bin(cell("demo", "linux/amd64")), "demo"),
		filepath.Join(o.OCI("demo"), "index.json"))
	for _, p := range append(slices.Clone(stale), live...) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A damaged row naming a path out of out/ removes nothing.
	outside := filepath.Join(t.TempDir(), "keep")
	if err := os.WriteFile(outside, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	evil := matrix.Row{Recipe: "../../" + filepath.Base(filepath.Dir(outside)), Platform: "linux/amd64", Toolchain: "gcc", Linkage: "static"}
	if err := b.removeStale(&Report{others: keptRows}, append(slices.Clone(droppedRows), evil)); err != nil {
		t.Fatal(err)
	}
	for _, p := range stale {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is still there (%v)", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "bin", "ghost")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("bin/ghost is still there (%v)", err)
	}
	for _, p := range append(live, outside) {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("the kept row's %s: %v", p, err)
		}
	}
}

// A cell that fails loses its docker archive (its folder holds the
// failure's build.log already), and a cell found not applicable loses
// both: nothing in out/ is older than its row.
func TestRemoveStaleOfFailedAndNotApplicableCells(t *testing.T) {
	out := t.TempDir()
	o := outdir.Path(out)
	failed := recipe.Cell{Recipe: "demo", Platform: recipe.AMD64, Toolchain: "gcc", Linkage: recipe.Static}
	na := recipe.Cell{Recipe: "demo", Platform: recipe.RISCV64, Toolchain: "gcc", Linkage: recipe.Static}
	for _, p := range []string{o.Archive(failed), filepath.Join(o.Bin(failed), "build.log"), o.Archive(na), filepath.Join(o.Bin(na), "demo")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rep := &Report{Jobs: []Job{{Cell: failed}, {Cell: na, Status: matrix.StatusNotApplicable}},
		Results: map[string]*Result{failed.String(): {Job: Job{Cell: failed}, Err: errors.New("compile: boom")}}}
	if err := New(Options{OutDir: out}).removeStale(rep, nil); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{o.Archive(failed), o.Archive(na), o.Bin(na)} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is still there (%v)", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(o.Bin(failed), "build.log")); err != nil {
		t.Errorf("the failed cell's build.log: %v", err)
	}
}
