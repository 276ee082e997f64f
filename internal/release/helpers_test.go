package release

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fromscratch/fromscratch/internal/testutil"
)

// golden compares got with testdata/<TestName>.golden, or rewrites it with -update.
func golden(t *testing.T, got []byte) {
	t.Helper()
	testutil.Golden(t, got)
}

// writeTree creates files (slash-separated path -> content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
