package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot walks up from the test's folder to the nearest go.mod.
func TestRepoRoot(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(root, "internal", "x")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(pkg)
	if got := RepoRoot(t); got != root {
		t.Errorf("RepoRoot = %s, want %s", got, root)
	}
}
