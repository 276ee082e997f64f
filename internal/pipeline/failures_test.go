package pipeline

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// projectCell compiles the gcc-static amd64 cell of program among the
// recipes of a fresh project (name -> file -> content) with run, in a
// fresh cache, and returns the error and the build.log the error names.
func projectCell(t *testing.T, recipes map[string]map[string]string, program string, run toolchain.Runner) (error, string) {
	t.Helper()
	root := t.TempDir()
	var all []*recipe.Recipe
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range recipes {
			if !yield(n) {
				return
			}
		}
	}) {
		dir := filepath.Join(root, "recipes", name)
		for f, body := range recipes[name] {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, f), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		r, err := recipe.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	var prog *recipe.Recipe
	for _, r := range all {
		if r.Name == program {
			prog = r
		}
	}
	deps, err := recipe.Dependencies(prog, all)
	if err != nil {
		t.Fatal(err)
	}
	_, j, _ := fakeJob(t, recipe.Static)
	j.Cell.Recipe, j.Recipe, j.Deps = program, prog, deps
	opts := testOptions(t, root)
	opts.CacheDir = t.TempDir()
	r := &Result{Job: j}
	err = New(opts, WithRunner(run)).compile(t.Context(), r)
	if err == nil {
		t.Fatal("the cell compiled")
	}
	log, rerr := os.ReadFile(filepath.Join(opts.OutDir, "bin", program, "linux-amd64", "gcc-static", "build.log"))
	if rerr != nil {
		t.Fatalf("the log the error names: %v (error: %v)", rerr, err)
	}
	if !strings.Contains(err.Error(), "/bin/"+program+"/linux-amd64/gcc-static/build.log)") {
		t.Errorf("the error names no log under out/: %v", err)
	}
	return err, string(log)
}

// makeProgram is a make project's recipe.toml.
func makeProgram(extra string) string {
	return "language = \"c\"\nbuild = \"make\"\nbinary = \"usr/bin/x\"\n" + extra + "\n[smoke]\nstdout = \"\"\n"
}

// A failing download's error is in the build.log the error names.
func TestFetchFailureIsInTheLog(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	url := srv.URL + "/x-1.0.tar.gz"
	err, log := projectCell(t, map[string]map[string]string{"x": {recipe.FileName: makeProgram(
		"[source]\nurl = \"" + url + "\"\nsha256 = \"sha256:" + strings.Repeat("ab", 32) + "\"\n")}}, "x", toolchain.Exec)
	for _, want := range []string{"fetching " + url, "404 Not Found"} {
		if !strings.Contains(log, want) || !strings.Contains(err.Error(), want) {
			t.Errorf("build.log and error want %q:\nlog: %s\nerror: %v", want, log, err)
		}
	}
}

// A patch that does not apply leaves its command and output in the
// build.log.
func TestPatchFailureIsInTheLog(t *testing.T) {
	err, log := projectCell(t, map[string]map[string]string{"x": {
		recipe.FileName: makeProgram(`patches = ["fix.patch"]`),
		"Makefile":      "all:\n",
		"x.c":           "one\ntwo\nthree\nfour\n",
		"fix.patch":     "--- a/x.c\n+++ b/x.c\n@@ -2,3 +2,3 @@\n two\n-THREE\n+3\n four\n",
	}}, "x", toolchain.Exec)
	if !strings.Contains(log, "$ patch -p1") || !strings.Contains(log, "FAILED") {
		t.Errorf("build.log lacks the patch and its output:\n%s", log)
	}
	if !strings.Contains(err.Error(), "recipes/x/fix.patch") {
		t.Errorf("error does not name the patch: %v", err)
	}
}

// A library whose build fails puts its whole log into its dependent's
// build.log under out/ (its own folder, in the cache's tmp/, does not
// outlive the run), and the error names no folder of the cache.
func TestFailingLibraryLogIsKept(t *testing.T) {
	failWidget := func(ctx context.Context, c toolchain.Command, env []string) ([]byte, error) {
		if slices.Contains(c.Args, "WIDGET=1") {
			return []byte("widget.c:1:1: error: the widget is broken\n"), &os.PathError{Op: "make", Path: "widget", Err: os.ErrInvalid}
		}
		return toolchain.Exec(ctx, c, env)
	}
	err, log := projectCell(t, map[string]map[string]string{
		"widget": {recipe.FileName: "language = \"c\"\nbuild = \"make\"\nkind = \"library\"\nmake_args = [\"WIDGET=1\"]\n", "Makefile": "all:\n"},
		"app":    {recipe.FileName: makeProgram(`depends = ["widget"]`), "Makefile": "all:\n"},
	}, "app", failWidget)
	if !strings.Contains(log, "# dependency widget failed") || !strings.Contains(log, "error: the widget is broken") {
		t.Errorf("the dependent's build.log lacks the library's log:\n%s", log)
	}
	if !strings.Contains(err.Error(), "dependency widget") || strings.Contains(err.Error(), "libraries"+TempMark) {
		t.Errorf("error = %v, want the library named and no cache folder", err)
	}
}
