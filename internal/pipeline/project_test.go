package pipeline

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/testutil"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// A dependency cycle or a dependency on a recipe that does not exist fails
// the cells of the recipes concerned, with the error naming it; the other
// recipes' cells are still built, and a library has no cells of its own.
func TestDependencyErrorsFailOnlyTheirRecipes(t *testing.T) {
	root := t.TempDir()
	write := func(name, toml string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(root, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name, recipe.FileName), []byte(toml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lib := func(deps string) string {
		return "language = \"c\"\nbuild = \"make\"\nkind = \"library\"\ndepends = [" + deps + "]\n"
	}
	prog := func(deps string) string {
		return "language = \"c\"\nbuild = \"make\"\nbinary = \"usr/bin/x\"\ndepends = [" + deps + "]\n[smoke]\nstdout = \"\"\n"
	}
	write("base", lib(""))
	write("app", prog(`"base"`))
	write("cyca", lib(`"cycb"`))
	write("cycb", lib(`"cyca"`))
	write("loops", prog(`"cyca"`))
	write("orphan", prog(`"nosuchlib"`))
	defs := []*toolchain.Definition{{Name: "gcc", Targets: []toolchain.Target{{Platform: recipe.AMD64}}}}
	recipes, broken, err := loadRecipes(root, nil, defs)
	if err != nil || len(broken) > 0 {
		t.Fatalf("loadRecipes: %v %v", err, broken)
	}
	inv := &Inventory{Recipes: recipes, Known: recipes, Defs: defs,
		Tools: map[string]map[recipe.Platform]toolchain.Status{"gcc": {recipe.AMD64: {Available: true}}}}
	reasons := map[string][]string{}
	for _, j := range inv.Jobs([]recipe.Platform{recipe.AMD64}) {
		if j.Status == matrix.StatusFailed {
			reasons[j.Cell.Recipe] = append(reasons[j.Cell.Recipe], j.Reason)
		} else {
			reasons[j.Cell.Recipe] = append(reasons[j.Cell.Recipe], "")
		}
		if j.Cell.Recipe == "app" && (len(j.Deps) != 1 || j.Deps[0].Name != "base") {
			t.Errorf("app's dependencies: %v, want base", j.Deps)
		}
	}
	for _, name := range []string{"base", "cyca", "cycb"} {
		if len(reasons[name]) > 0 {
			t.Errorf("library %s has cells: %v", name, reasons[name])
		}
	}
	for name, want := range map[string]string{"loops": "dependency cycle: cyca depends on cycb depends on cyca", "orphan": "nosuchlib"} {
		if len(reasons[name]) != 2 {
			t.Fatalf("%s: %d cells, want 2", name, len(reasons[name]))
		}
		for _, r := range reasons[name] {
			if !strings.Contains(r, want) {
				t.Errorf("%s: reason %q, want it to name %q", name, r, want)
			}
		}
	}
	if r := reasons["app"]; len(r) != 2 || r[0] != "" || r[1] != "" {
		t.Errorf("app: %q, want two cells to build", r)
	}
}

// A library that depends on itself is reported to its dependents as a
// cycle (not as "a recipe that does not exist"), and a dependency on no
// recipe lists every recipe, not only the selected ones, with the closest
// name.
func TestSelfDependencyAndUnknownDependency(t *testing.T) {
	root := filepath.Join(t.TempDir(), "recipes")
	write := func(name, toml string) {
		t.Helper()
		testutil.WriteFile(t, filepath.Join(root, name, recipe.FileName), []byte(toml))
	}
	write("base", "language = \"c\"\nbuild = \"make\"\nkind = \"library\"\n")
	write("selfish", "language = \"c\"\nbuild = \"make\"\nkind = \"library\"\ndepends = [\"selfish\"]\n")
	prog := func(deps string) string {
		return "language = \"c\"\nbuild = \"make\"\nbinary = \"usr/bin/x\"\ndepends = [" + deps + "]\n[smoke]\nstdout = \"\"\n"
	}
	write("needself", prog(`"selfish"`))
	write("typo", prog(`"bsae"`))
	defs := []*toolchain.Definition{{Name: "gcc", Targets: []toolchain.Target{{Platform: recipe.AMD64}}}}
	selected, broken, err := loadRecipes(root, []string{"needself", "typo"}, defs)
	if err != nil {
		t.Fatal(err)
	}
	known, knownBroken, err := loadRecipes(root, nil, defs)
	if err != nil {
		t.Fatal(err)
	}
	inv := &Inventory{Recipes: selected, Broken: broken, Known: known, Defs: defs,
		Tools: map[string]map[recipe.Platform]toolchain.Status{"gcc": {recipe.AMD64: {Available: true}}}}
	inv.KnownBroken = knownBroken
	want := map[string]string{
		"needself": "needself depends on selfish, which does not load: " + filepath.Join("recipes", "selfish", recipe.FileName) + ": depends[0]: dependency cycle: selfish depends on selfish",
		"typo":     "typo depends on bsae, which is not a recipe (did you mean base?) (recipes: base, needself, selfish, typo)",
	}
	for _, j := range inv.Jobs([]recipe.Platform{recipe.AMD64}) {
		if j.Status != matrix.StatusFailed || !strings.Contains(j.Reason, want[j.Cell.Recipe]) {
			t.Errorf("%s: %s %q, want failed with %q", j.Cell, j.Status, j.Reason, want[j.Cell.Recipe])
		}
	}
}

// unpackStage reports the shared libraries of a stage tarball's usr/lib,
// files and links, and only those.
func TestUnpackStage(t *testing.T) {
	a := testutil.WriteFile(t, filepath.Join(t.TempDir(), stageFile), testutil.Tar(t,
		testutil.TarEntry{Name: "usr/lib/libz.so.1.2.13", Body: "elf", Type: tar.TypeReg, Mode: 0o755},
		testutil.TarEntry{Name: "usr/lib/libz.so.1", Link: "libz.so.1.2.13", Type: tar.TypeSymlink},
		testutil.TarFile("usr/lib/libz.so", "INPUT(-lz)"),
		testutil.TarFile("usr/lib/pkgconfig/libfoo.so.1.pc", ""),
		testutil.TarFile("usr/include/zlib.h", "h")))
	dest := filepath.Join(t.TempDir(), "deps")
	unpacked, err := unpackStage(a, dest)
	if err != nil {
		t.Fatal(err)
	}
	// The libraries it reports are those sharedLibraries finds: the
	// SBOM's attribution of lib/ files to recipes relies on it.
	if strings.Join(unpacked, ",") != "libz.so.1,libz.so.1.2.13" {
		t.Errorf("unpackStage reported %v", unpacked)
	}
	if l, err := os.Readlink(filepath.Join(dest, "usr", "lib", "libz.so.1")); err != nil || l != "libz.so.1.2.13" {
		t.Errorf("symlink: %q %v", l, err)
	}
	if sos, _ := sharedLibraries(filepath.Join(dest, "usr", "lib")); strings.Join(sos, ",") != "libz.so.1,libz.so.1.2.13" {
		t.Errorf("sharedLibraries = %v", sos)
	}
}
