package pipeline

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/smoke"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

// repoRoot is the repository holding recipes/ and toolchains/.
func repoRoot(t testing.TB) string {
	t.Helper()
	abs, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// needEngine returns a usable container engine or stops the test.
func needEngine(t *testing.T) smoke.Engine {
	t.Helper()
	e, why := smoke.Detect(t.Context(), os.Environ())
	if e == nil {
		testutil.Missing(t, "no container engine: %s", why)
	}
	return e
}

// testOptions builds into a temp out dir with the shared cache (zig's libc
// builds are reused): FROMSCRATCH_CACHE, else ~/.cache/fromscratch.
// smallRecipes are the recipes that compile their own few files: the
// whole-matrix tests build these only. The real programs (autotools, CMake
// and make projects from Debian sources) cost minutes per cell, zig's
// configure alone about 200 s; TestRealPrograms builds a chosen subset.
var smallRecipes = []string{"cppcontainers", "hello", "mathprint", "multifile", "nsslookup", "threads"}

func testOptions(t testing.TB, root string) Options {
	t.Helper()
	cache := testutil.CacheDir(t)
	var recipes []string
	if root == repoRoot(t) { // the repository's real programs are TestRealPrograms' work
		recipes = smallRecipes
	}
	return Options{
		Recipes:    recipes,
		Root:       root,
		OutDir:     filepath.Join(t.TempDir(), "out"),
		CacheDir:   cache,
		Jobs:       runtime.NumCPU(),
		RequireAll: testutil.RequireAll(),
		Smoke:      true,
		BuildDate:  time.Unix(1704067200, 0).UTC(),
		HostPath:   filepath.SplitList(os.Getenv("PATH")),
	}
}

// testLog sends progress lines to t.Log.
type testLog struct {
	t   *testing.T
	mu  sync.Mutex
	buf strings.Builder
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		s := l.buf.String()
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			break
		}
		l.t.Log(s[:i])
		l.buf.Reset()
		l.buf.WriteString(s[i+1:])
	}
	return len(p), nil
}

var _ io.Writer = (*testLog)(nil)

// copyTree copies the files of src into dst (regular files and dirs only).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
