package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// hi is a small autoconf project (configure.ac and a Makefile.in, no
// automake): autoreconf makes its configure in the build root.
var hi = map[string]string{
	"hi.c": "#include <stdio.h>\n#include <string.h>\nint main(void) { puts(strdup(\"hi\")); return 0; }\n",
	"configure.ac": "AC_INIT([hi], [1.0])\nAC_PROG_CC\nAC_CHECK_FUNCS([strdup])\n" +
		"AC_CONFIG_FILES([Makefile])\nAC_OUTPUT\n",
	"Makefile.in": "CC = @CC@\nCFLAGS = @CFLAGS@\nCPPFLAGS = @CPPFLAGS@\nLDFLAGS = @LDFLAGS@\n" +
		"prefix = @prefix@\nexec_prefix = @exec_prefix@\nbindir = @bindir@\n" +
		"hi: hi.c\n\t$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o hi hi.c\n" +
		"install: hi\n\tinstall -D -m 755 hi $(DESTDIR)$(bindir)/hi\n",
}

// hiRecipe is hi's recipe.toml with extra lines; its cells are gcc's
// static ones.
func hiRecipe(extra string) string {
	return "language = \"c\"\nbuild = \"autotools\"\nautoreconf = true\nbinary = \"usr/bin/hi\"\n" + extra +
		"[smoke]\nstdout = \"hi\\n\"\n[[exclude]]\nlinkage = \"dynamic\"\nreason = \"one cell is enough\"\n"
}

// writeProject writes recipes/<name> under root from files.
func writeProject(t *testing.T, root, name string, files map[string]string) {
	t.Helper()
	dir := filepath.Join(root, "recipes", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// spacedProject is a project folder, a cache and an out dir whose paths
// hold spaces, with the toolchains of the repository, the shared cache's
// build root linked in, a make recipe (okprog) and autotools ones: hi,
// and hibad, whose ldflags fail configure's check for strdup (as a
// recipe's own LDFLAGS that zig rejected failed every link test) and
// then its link. Cells: gcc's static amd64 ones.
func spacedProject(t *testing.T) Options {
	t.Helper()
	base := filepath.Join(t.TempDir(), "a folder")
	root := filepath.Join(base, "my project")
	if err := os.CopyFS(filepath.Join(root, "toolchains"), os.DirFS(filepath.Join(repoRoot(t), "toolchains"))); err != nil {
		t.Fatal(err)
	}
	files := func(m map[string]string, toml string) map[string]string {
		out := map[string]string{recipe.FileName: toml}
		for n, s := range m {
			out[n] = s
		}
		return out
	}
	writeProject(t, root, "okprog", files(okprog, okprog[recipe.FileName]+
		"[[exclude]]\nlinkage = \"dynamic\"\nreason = \"one cell is enough\"\n"))
	writeProject(t, root, "hi", files(hi, hiRecipe("")))
	writeProject(t, root, "hibad", files(hi, hiRecipe("ldflags = [\"-Wl,--wrap=strdup\"]\n")))
	o := hermeticOptions(t, root)
	shared := o.CacheDir
	o.CacheDir = filepath.Join(base, "the cache")
	o.OutDir = filepath.Join(base, "the out")
	if err := os.MkdirAll(o.CacheDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"buildroot", "debian"} {
		if err := os.Symlink(filepath.Join(shared, d), filepath.Join(o.CacheDir, d)); err != nil {
			t.Fatal(err)
		}
	}
	o.Platforms, o.Toolchains = []recipe.Platform{recipe.AMD64}, []string{"gcc"}
	return o
}

// buildRows builds o's recipes and returns the matrix rows by recipe.
func buildRows(t *testing.T, o Options, recipes ...string) map[string]matrix.Row {
	t.Helper()
	o.Recipes = recipes
	start := time.Now()
	_, _ = New(o).Build(t.Context()) // a failed cell is in its row
	t.Logf("building %v took %v", recipes, time.Since(start).Round(time.Second))
	m, err := matrix.Load(filepath.Join(o.OutDir, "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]matrix.Row{}
	for _, row := range m.Rows {
		if row.Status != matrix.StatusNotApplicable {
			rows[row.Recipe] = row
		}
	}
	return rows
}

// A cache, an out dir and a project folder whose paths hold spaces build
// a make and an autotools recipe in the sandbox (CFLAGS's
// -ffile-prefix-map=<path> was cut at the space by make and configure).
// hibad's configure, whose link tests its own ldflags failed, leaves the
// shared config.cache as it was, and hi's configure, after it, finds
// strdup instead of reading "(cached) no". Each cell keeps config.log
// next to build.log, a failed one too, without the machine's folders.
func TestSmallProjectsInSpacedPaths(t *testing.T) {
	o := spacedProject(t)
	cell := func(name string) string {
		return outdir.Path(o.OutDir).Bin(recipe.Cell{Recipe: name, Platform: recipe.AMD64, Toolchain: "gcc", Linkage: recipe.Static})
	}
	rows := buildRows(t, o, "okprog", "hibad")
	if r := rows["okprog"]; r.Status != matrix.StatusBuilt {
		t.Errorf("okprog: %s %s", r.Status, r.Reason)
	}
	if r := rows["hibad"]; r.Status != matrix.StatusFailed || !strings.Contains(r.Reason, "__wrap_strdup") {
		t.Errorf("hibad: %s %q, want its link of hi to fail on __wrap_strdup", r.Status, r.Reason)
	}
	shared := toolchain.ConfigCacheFile(o.CacheDir, &toolchain.Definition{Name: "gcc"}, recipe.AMD64, recipe.Static)
	if data, _ := os.ReadFile(shared); strings.Contains(string(data), "strdup") {
		t.Errorf("hibad's configure wrote the shared cache:\n%s", data)
	}
	if data, err := os.ReadFile(filepath.Join(cell("hibad"), "config.log")); err != nil || !strings.Contains(string(data), "checking for strdup") {
		t.Errorf("hibad's config.log: %v\n%s", err, data)
	}

	rows = buildRows(t, o, "hi")
	if r := rows["hi"]; r.Status != matrix.StatusBuilt {
		t.Fatalf("hi: %s %s", r.Status, r.Reason)
	}
	log, _ := os.ReadFile(filepath.Join(cell("hi"), "build.log"))
	if !strings.Contains(string(log), "checking for strdup... yes") {
		t.Errorf("hi's configure did not find strdup:\n%s", log)
	}
	if data, _ := os.ReadFile(shared); !strings.Contains(string(data), "ac_cv_func_strdup=yes") {
		t.Errorf("hi's configure did not share what it found:\n%s", data)
	}
	clog, err := os.ReadFile(filepath.Join(cell("hi"), "config.log"))
	if err != nil || !strings.Contains(string(clog), "ac_cv_func_strdup=yes") {
		t.Errorf("hi's config.log: %v\n%s", err, clog)
	}
	for _, dir := range []string{o.CacheDir, o.OutDir, os.TempDir() + "/fromscratch-project", TempMark} {
		if strings.Contains(string(clog), dir) {
			t.Errorf("hi's config.log names %s", dir)
		}
	}
}

func TestBuildTempRootIsShellSafe(t *testing.T) {
	for p, want := range map[string]bool{
		"/var/cache/fs-h-bugs/tmp": true, "/home/me/.cache/fromscratch/tmp": true,
		"/home/me/my cache/tmp": false, "/tmp/a$b": false, "/tmp/it's": false, "": false,
	} {
		if got := shellSafe(p); got != want {
			t.Errorf("shellSafe(%q) = %v, want %v", p, got, want)
		}
	}
	b := New(Options{CacheDir: filepath.Join(t.TempDir(), "a cache")})
	d, err := b.buildTempRoot()
	if err != nil || strings.Contains(d, " ") {
		t.Errorf("buildTempRoot = %q, %v; want a folder without spaces", d, err)
	}
}
