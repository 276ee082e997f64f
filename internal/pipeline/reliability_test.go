package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// A recipe.toml that does not load fails its own cells, names the file,
// and leaves the other recipes to build.
func TestBrokenRecipeFailsOnlyItsCells(t *testing.T) {
	root := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		p = filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("good/recipe.toml", "language = \"c\"\nsources = [\"main.c\"]\n[smoke]\nstdout = \"\"\n")
	write("good/main.c", "int main(void){return 0;}\n")
	write("bad/recipe.toml", "language = \"c\"\nsources = [\"main.c\"]\nnot_a_field = 1\n")
	write("badexclude/recipe.toml", "language = \"c\"\nsources = [\"main.c\"]\n[[exclude]]\ntoolchain = \"clang\"\nreason = \"x\"\n")
	write("badexclude/main.c", "int main(void){return 0;}\n")
	defs := []*toolchain.Definition{{Name: "gcc"}}
	recipes, broken, err := loadRecipes(root, nil, defs)
	if err != nil {
		t.Fatal(err)
	}
	if len(recipes) != 1 || recipes[0].Name != "good" {
		t.Fatalf("loaded %v, want only good", recipes)
	}
	if e := broken["bad"]; e == nil || !strings.Contains(e.Error(), "not_a_field") || !strings.Contains(e.Error(), "recipe.toml") {
		t.Errorf("bad: %v, want the file and the unknown field named", e)
	}
	if e := broken["badexclude"]; e == nil || !strings.Contains(e.Error(), `"clang"`) || !strings.Contains(e.Error(), "exclude") {
		t.Errorf("badexclude: %v, want the unknown toolchain and the field named", e)
	}
	// build:recipe of the good one does not read the bad ones at all.
	if rs, b, err := loadRecipes(root, []string{"good"}, defs); err != nil || len(rs) != 1 || len(b) != 0 {
		t.Errorf("loadRecipes(good) = %v, %v, %v", rs, b, err)
	}
	if _, _, err := loadRecipes(root, []string{"nope"}, defs); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("an unknown recipe name: %v", err)
	}
	inv := &Inventory{Recipes: recipes, Broken: broken, Defs: defs,
		Tools: map[string]map[recipe.Platform]toolchain.Status{"gcc": {}}}
	rep := &Report{Jobs: inv.Jobs([]recipe.Platform{recipe.AMD64})}
	var failed, good int
	for _, j := range rep.Jobs {
		switch j.Cell.Recipe {
		case "bad", "badexclude":
			if j.Status != matrix.StatusFailed || j.Reason == "" {
				t.Errorf("%s: status %q reason %q, want failed with the load error", j.Cell, j.Status, j.Reason)
			}
			failed++
		case "good":
			good++
		}
	}
	if failed != 4 || good != 2 {
		t.Errorf("%d broken cells and %d good ones, want 4 and 2", failed, good)
	}
	if got := rep.Failed(false); len(got) != 4 {
		t.Errorf("Failed = %v, want the 4 broken cells", got)
	}
	m := Rows(rep)
	for _, row := range m.Rows {
		if row.Recipe == "bad" && (row.Status != matrix.StatusFailed || !strings.Contains(row.Reason, "not_a_field")) {
			t.Errorf("matrix row of bad: %+v", row)
		}
	}
}

// A prebuilt file that is not an ELF program fails (never "unavailable").
func TestPrebuiltNotAProgramFails(t *testing.T) {
	j := prebuiltJob(&recipe.Recipe{Name: "passwd", Prebuilt: "/etc/passwd"}, nil)
	if j.Status != matrix.StatusFailed || !strings.Contains(j.Reason, "prebuilt") || !strings.Contains(j.Reason, "/etc/passwd") {
		t.Fatalf("prebuilt /etc/passwd: status %q reason %q, want failed naming the field and the file", j.Status, j.Reason)
	}
}

// A docker archive or an OCI blob changed in place, same size, is found on
// the next run and written again; an untouched out/ is reused.
func TestDamagedOutputsAreRebuilt(t *testing.T) {
	cfg, j, fake := fakeJob(t, recipe.Static)
	cfg.CacheDir = t.TempDir()
	build := func() *Result {
		t.Helper()
		b := New(cfg, WithRunner(fake))
		r := b.runCell(t.Context(), j)
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		rep := &Report{Jobs: []Job{j}, Results: map[string]*Result{j.Cell.String(): r}}
		if err := b.writeLayouts(rep); err != nil {
			t.Fatal(err)
		}
		return r
	}
	first := build()
	archive := outdir.Path(cfg.OutDir).Archive(j.Cell)
	good, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	if r := build(); !r.ImageReused {
		t.Fatal("an untouched out/ was not reused")
	}
	blobs, err := image.Blobs(first.Image) // manifest, config, layers
	if err != nil {
		t.Fatal(err)
	}
	layout := filepath.Join(cfg.OutDir, "oci", "hello")
	for _, victim := range []string{archive, filepath.Join(layout, blobs[0]), filepath.Join(layout, blobs[2])} {
		t.Run(filepath.Base(victim), func(t *testing.T) {
			data, err := os.ReadFile(victim)
			if err != nil {
				t.Fatal(err)
			}
			orig := append([]byte(nil), data...)
			data[len(data)/2] ^= 0xff // same size, other bytes
			if err := os.WriteFile(victim, data, 0o644); err != nil {
				t.Fatal(err)
			}
			r := build()
			if r.ImageReused {
				t.Fatal("a damaged output was kept as unchanged")
			}
			if r.Digest != first.Digest {
				t.Errorf("rebuilt digest %s, first %s", r.Digest, first.Digest)
			}
			if now, _ := os.ReadFile(victim); string(now) != string(orig) {
				t.Errorf("%s was not written back to its good bytes", victim)
			}
			if now, _ := os.ReadFile(archive); string(now) != string(good) {
				t.Error("the archive differs from the first build's")
			}
		})
	}
}

// Temporary folders carry TempMark, so what a killed run left can be found.
func TestTempDirsAreMarked(t *testing.T) {
	cfg, j, _ := fakeJob(t, recipe.Static)
	b := New(cfg)
	tmp, err := b.tempDir(&Result{Job: j})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(filepath.Base(tmp), TempMark) || filepath.Dir(tmp) != filepath.Dir(b.cellDir(j.Cell)) {
		t.Errorf("temp dir %s: want it next to the cell's folder with %q in its name", tmp, TempMark)
	}
}

// Warnings about the toolchain's own files (zig building its libc while
// its cache is cold) are not the recipe's: the matrix must not depend on
// the state of a compiler's cache.
func TestWarningsAreTheRecipes(t *testing.T) {
	log := []byte("zig cc ...\n" +
		"$CACHE/zig/0.11.0/package/lib/libc/musl/crt/../ldso/dlstart.c:146:20: warning: a function declaration without a prototype is deprecated\n" +
		"hello.c:3:9: warning: unused variable 'x' [-Wunused-variable]\n")
	got := warnings(log)
	if len(got) != 1 || !strings.HasPrefix(got[0], "hello.c:3:9: warning:") {
		t.Errorf("warnings = %q, want only the recipe's", got)
	}
}

// A cache whose zig/ is a link to a shared one (bench, the workflow test)
// gets zig's warnings under the link's real path: they are $CACHE's too,
// so they are not taken for the recipe's.
func TestScrubPathsOfALinkedCache(t *testing.T) {
	shared, cacheDir := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(shared, "zig"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(shared, "zig"), filepath.Join(cacheDir, "zig")); err != nil {
		t.Fatal(err)
	}
	b := &Builder{opts: Options{Root: "/src/fromscratch", CacheDir: cacheDir}}
	real, err := filepath.EvalSymlinks(filepath.Join(shared, "zig"))
	if err != nil {
		t.Fatal(err)
	}
	log := b.scrubPaths([]byte(real+"/0.11.0/package/lib/libc/musl/crt/../ldso/dlstart.c:146:20: warning: a function declaration without a prototype is deprecated\n"+
		"hello.c:3:9: warning: unused variable 'x' [-Wunused-variable]\n"), "/tmp/build")
	if !strings.HasPrefix(string(log), "$CACHE/zig/0.11.0/") {
		t.Errorf("scrubbed log:\n%s", log)
	}
	if got := warnings(log); len(got) != 1 || !strings.HasPrefix(got[0], "hello.c:3:9:") {
		t.Errorf("warnings = %q, want only the recipe's", got)
	}
}
