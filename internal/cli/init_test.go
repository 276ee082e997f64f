package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

// The quick start of the README, in a project outside this repository
// (no toolchains/: the built-in files): init dir on a small make project,
// then a build of its two linux/amd64 gcc cells, chosen by the project's
// fromscratch.toml, whose images run and print what the program prints.
// It costs two compiles in the build root and two smoke runs (7 to 30 s
// here).
func TestInitDirThenBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two cells and runs their images")
	}
	needEngine(t)
	project := t.TempDir()
	prog := filepath.Join(project, "myprog")
	if err := os.CopyFS(prog, os.DirFS(filepath.Join("testdata", "myprog"))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(project, "fromscratch.toml"), []byte("platforms = [\"linux/amd64\"]\ntoolchains = [\"gcc\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, out, _ := testCLI(t, project, "FROMSCRATCH_CACHE="+testutil.CacheDir(t), "FROMSCRATCH_OUT="+filepath.Join(project, "out"))
	if err := c.Run(t.Context(), []string{"init", "dir", prog}); err != nil {
		t.Fatalf("init dir: %v\n%s", err, out)
	}
	for _, want := range []string{"wrote recipes/myprog/", `build = "make", guessed from Makefile`, "fill in [smoke]"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("init dir printed no %q:\n%s", want, out)
		}
	}
	file := filepath.Join(project, "recipes", "myprog", recipe.FileName)
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// Fill in the smoke stub as the printed next step says.
	filled := strings.Replace(string(text), `# stdout = "the exact output\n"`, `stdout = "Hello from myprog\n"`, 1)
	if filled == string(text) {
		t.Fatalf("no stdout line to fill in:\n%s", text)
	}
	if err := os.WriteFile(file, []byte(filled), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := c.Run(t.Context(), []string{"build", "all"}); err != nil {
		t.Fatalf("build all: %v\n%s", err, out)
	}
	m, err := matrix.Load(outdir.Path(filepath.Join(project, "out")).Matrix())
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Rows) != 2 {
		t.Fatalf("the matrix has %d rows, want the 2 of fromscratch.toml's selection:\n%s", len(m.Rows), out)
	}
	for _, r := range m.Rows {
		if r.Recipe != "myprog" || r.Platform != "linux/amd64" || r.Toolchain != "gcc" || r.Status != matrix.StatusBuilt || r.Smoke.Status != recipe.SmokePass || r.Smoke.Output != "Hello from myprog\n" {
			t.Errorf("row %+v (smoke %+v): want myprog built for linux/amd64 with gcc, its image run", r.Key(), r.Smoke)
		}
	}
}

// init debian pins the upstream tarball of a real Debian source package
// from the mirror, as the repository's own recipe of it does, and guesses
// autotools from its configure.
func TestInitDebian(t *testing.T) {
	if testing.Short() {
		t.Skip("reaches the Debian mirror")
	}
	project := t.TempDir()
	c, out, _ := testCLI(t, project, "FROMSCRATCH_CACHE="+testutil.CacheDir(t))
	if err := c.Run(t.Context(), []string{"init", "debian", "hello=2.10-3"}); err != nil {
		t.Fatalf("init debian: %v\n%s", err, out)
	}
	got, err := recipe.Load(filepath.Join(project, "recipes", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := recipe.Load(filepath.Join(repoRoot(t), "recipes", "gnuhello"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Build != recipe.BuildAutotools || got.Binary != "usr/bin/hello" || got.Source.Debian != "hello" || got.Source.Version != want.Source.Version {
		t.Errorf("recipe = build %q, binary %q, source %+v", got.Build, got.Binary, got.Source)
	}
	if len(got.Source.Files) != 1 || got.Source.Files["hello_2.10.orig.tar.gz"] != want.Source.Files["hello_2.10.orig.tar.gz"] {
		t.Errorf("files = %v, want the upstream tarball pinned as recipes/gnuhello does: %v", got.Source.Files, want.Source.Files)
	}
	if !strings.Contains(out.String(), "guessed from configure") || !strings.Contains(out.String(), "Next:") {
		t.Errorf("init debian printed:\n%s", out)
	}
	err = c.Run(t.Context(), []string{"init", "debian", "hello"})
	if err == nil || !strings.Contains(err.Error(), "recipes/hello exists already") {
		t.Errorf("a second init: %v, want it refused", err)
	}
}

// The README's quick start writes exactly the project TestInitDirThenBuild
// builds (testdata/myprog), and runs the verbs it tests.
func TestQuickStartIsTheTestedProject(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, quick, ok := strings.Cut(string(readme), "## Quick start")
	if !ok {
		t.Fatal("README.md has no quick start")
	}
	quick, _, _ = strings.Cut(quick, "\n## ")
	src, err := os.ReadFile(filepath.Join("testdata", "myprog", "myprog.c"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(quick, "cat > myprog/myprog.c <<'EOF'\n"+string(src)+"EOF\n") {
		t.Errorf("the quick start does not write testdata/myprog/myprog.c as it is:\n%s", src)
	}
	mk, err := os.ReadFile(filepath.Join("testdata", "myprog", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	printf := "printf '" + strings.NewReplacer("\n", `\n`, "\t", `\t`).Replace(string(mk)) + "' > myprog/Makefile\n"
	if !strings.Contains(quick, printf) {
		t.Errorf("the quick start does not write testdata/myprog/Makefile as it is; want the line\n%s", printf)
	}
	for _, cmd := range []string{"fromscratch init dir ./myprog", "fromscratch build --platform linux/amd64,linux/arm64 --toolchain gcc", "docker run --rm --platform linux/arm64 myprog:gcc-static-arm64"} {
		if !strings.Contains(quick, cmd) {
			t.Errorf("the quick start lacks %q", cmd)
		}
	}
}

// A folder without recipes/ is a project with none yet: build says how to
// write the first, and init dir refuses a folder name that cannot be a
// recipe's.
func TestEmptyProject(t *testing.T) {
	project := t.TempDir()
	c, out, _ := testCLI(t, project, "FROMSCRATCH_CACHE="+t.TempDir())
	err := c.Run(t.Context(), []string{"build", "all"})
	if err == nil || !strings.Contains(err.Error(), "no recipes/ folder in "+project) || !strings.Contains(err.Error(), "fromscratch init dir PATH") {
		t.Errorf("build all without recipes/: %v\n%s", err, out)
	}
	bad := filepath.Join(project, "MyProg")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "main.c"), []byte("int main(void) { return 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = c.Run(t.Context(), []string{"init", "dir", bad})
	if err == nil || !strings.Contains(err.Error(), `the folder's name is the recipe's: recipe name "MyProg" is not allowed`) {
		t.Errorf("init dir MyProg: %v", err)
	}
	if _, err := os.Stat(filepath.Join(project, "recipes")); err == nil {
		t.Error("a refused init left recipes/ behind")
	}
}
