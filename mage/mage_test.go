package mage_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

// userModule writes a Go module of a user's own in a temporary folder: a
// magefile that imports this package with mage:import, mage as a tool,
// and fromscratch replaced by this checkout. It is built offline from the
// module cache (GOPROXY=off), with this checkout's go.sum.
func userModule(t *testing.T) (dir string, env []string) {
	t.Helper()
	root := testutil.RepoRoot(t)
	dir = t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/user\n\ngo 1.26.0\n\ntool github.com/magefile/mage\n\n" +
			"require (\n\tgithub.com/fromscratch/fromscratch v0.0.0\n\tgithub.com/magefile/mage v1.17.2\n)\n\n" +
			"replace github.com/fromscratch/fromscratch => " + root + "\n",
		"magefile.go": "//go:build mage\n\npackage main\n\nimport (\n\t//mage:import\n\t_ \"github.com/fromscratch/fromscratch/mage\"\n)\n",
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files["go.sum"] = string(sum)
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "FROMSCRATCH_") && !strings.HasPrefix(e, "GOFLAGS=") {
			env = append(env, e)
		}
	}
	env = append(env, "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "FROMSCRATCH_CACHE="+testutil.CacheDir(t))
	return dir, env
}

func mage(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", append([]string{"tool", "mage"}, args...)...)
	cmd.Dir, cmd.Env = dir, env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go tool mage %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("go tool mage %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	return string(out)
}

// A user's magefile gets fromscratch's targets, and they work in the
// user's project: init:dir on a small make project, then build:all of one
// cell (linux/amd64, gcc, static; no smoke run). It costs compiling the
// magefile against fromscratch (9 to 40 s on a 2-core machine, the Go
// build cache warm) and one compile in the build root.
func TestUserMagefile(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a magefile against fromscratch and builds a cell")
	}
	dir, env := userModule(t)
	list := mage(t, dir, env, "-l")
	for _, target := range []string{"build:all", "build:recipe", "init:dir", "init:debian", "matrix:show", "release:all", "setup", "toolchains:list"} {
		if !strings.Contains(list, "  "+target+" ") {
			t.Errorf("mage -l lists no %s:\n%s", target, list)
		}
	}
	for _, own := range []string{"bazel:check", "bench:files", "  test "} {
		if strings.Contains(list, own) {
			t.Errorf("mage -l lists %q, a target of fromscratch's own development:\n%s", own, list)
		}
	}
	if err := os.CopyFS(filepath.Join(dir, "myprog"), os.DirFS(filepath.Join(testutil.RepoRoot(t), "internal", "cli", "testdata", "myprog"))); err != nil {
		t.Fatal(err)
	}
	if out := mage(t, dir, env, "init:dir", "myprog"); !strings.Contains(out, "wrote recipes/myprog/") {
		t.Errorf("init:dir printed:\n%s", out)
	}
	env = append(env, "FROMSCRATCH_PLATFORMS=linux/amd64", "FROMSCRATCH_TOOLCHAINS=gcc", "FROMSCRATCH_LINKAGES=static", "FROMSCRATCH_SMOKE=0", "CI=1")
	out := mage(t, dir, env, "build:all")
	m, err := matrix.Load(filepath.Join(dir, "out", "matrix.json"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(m.Rows) != 1 || m.Rows[0].Recipe != "myprog" || m.Rows[0].Linkage != "static" || m.Rows[0].Status != matrix.StatusBuilt {
		t.Errorf("matrix rows %+v, want myprog's one static cell built:\n%s", m.Rows, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "docker", "myprog_gcc-static_amd64.tar")); err != nil {
		t.Error(err)
	}
}
