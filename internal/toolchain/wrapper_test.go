package toolchain_test

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/testutil"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// zigProject is a make cell of zig for amd64 in work, with its wrapper
// scripts written, and the cell's environment; it stops the test when zig
// is not provisioned in the test cache.
func zigProject(t *testing.T, work string) (toolchain.Project, []string) {
	t.Helper()
	d := loadReal(t, "zig")
	cache := testutil.CacheDir(t)
	zig := filepath.Join(d.NpmDir(cache), "zig")
	if _, err := os.Stat(zig); err != nil {
		testutil.Missing(t, "zig is not provisioned in %s (go tool mage setup)", cache)
	}
	tg, _ := d.Target(recipe.AMD64)
	p := toolchain.Project{Def: d, Target: tg, Linkage: recipe.Static, Resolved: map[string]string{"zig": zig},
		Recipe:    &recipe.Recipe{Name: "two", Language: recipe.C, Build: recipe.BuildMake, Binary: "usr/bin/two"},
		SourceDir: work, WorkDir: filepath.Join(work, "w"), StageDir: filepath.Join(work, "stage")}
	for _, f := range p.Files() {
		if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f.Path, f.Data, f.Mode); err != nil {
			t.Fatal(err)
		}
	}
	env := toolchain.Env(toolchain.EnvConfig{PathDirs: toolchain.SystemPath, SourceDateEpoch: 1704067200, CacheDir: cache, TempDir: t.TempDir()})
	return p, env
}

// symbols are the defined function names of an object file.
func symbols(t *testing.T, path string) []string {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Section != elf.SHN_UNDEF {
			out = append(out, s.Name)
		}
	}
	slices.Sort(out)
	return out
}

// The zig wrapper compiles "cc -c a.c b.c" (a Makefile's several sources
// in one command, lz4's) into a.o and b.o, each with its own file, as gcc
// does (zig cc 0.11 itself writes one object holding both); with one
// source it keeps -o, and a source that does not compile fails the call.
func TestZigWrapperSplitsSeveralSources(t *testing.T) {
	if testing.Short() {
		t.Skip("runs zig")
	}
	work := t.TempDir()
	p, env := zigProject(t, work)
	for n, src := range map[string]string{
		"a.c":   "int fa(void) { return 1; }\n",
		"b.c":   "int fb(void) { return 2; }\n",
		"bad.c": "int fc(void) { return nosuch; }\n",
	} {
		if err := os.WriteFile(filepath.Join(work, n), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cc := filepath.Join(p.WorkDir, "bin", "cc")
	run := func(args ...string) ([]byte, error) {
		cmd := exec.Command(cc, args...)
		cmd.Dir, cmd.Env = work, env
		return cmd.CombinedOutput()
	}
	if out, err := run("-O2", "-c", "-DX=1", "a.c", "-I", "inc.c", "b.c"); err != nil {
		t.Fatalf("cc -c a.c b.c: %v\n%s", err, out)
	}
	for obj, want := range map[string][]string{"a.o": {"fa"}, "b.o": {"fb"}} {
		if got := symbols(t, filepath.Join(work, obj)); !slices.Equal(got, want) {
			t.Errorf("%s defines %q, want %q", obj, got, want)
		}
	}
	if out, err := run("-c", "a.c", "-o", "one.o"); err != nil || !slices.Equal(symbols(t, filepath.Join(work, "one.o")), []string{"fa"}) {
		t.Errorf("cc -c a.c -o one.o: %v\n%s", err, out)
	}
	if out, err := run("-c", "a.c", "bad.c", "b.c"); err == nil || !strings.Contains(string(out), "nosuch") {
		t.Errorf("cc -c a.c bad.c b.c: %v, want bad.c's error\n%s", err, out)
	}
}
