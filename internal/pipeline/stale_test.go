package pipeline

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fromscratch/fromscratch/internal/matrix"
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
	var kept []string
	for _, r := range b.otherRows(&Report{}, []*recipe.Recipe{rc}) {
		kept = append(kept, r.Recipe+" "+r.Platform)
	}
	if want := []string{"demo linux/amd64"}; !slices.Equal(kept, want) {
		t.Errorf("kept %q, want %q", kept, want)
	}
}
