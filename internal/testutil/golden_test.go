package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestGolden(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	os.Mkdir("testdata", 0o755)
	if err := os.WriteFile(filepath.Join(dir, GoldenPath(t)), []byte("same"), 0o644); err != nil {
		t.Fatal(err)
	}
	Golden(t, []byte("same"))
	if got := GoldenPath(t); got != filepath.Join("testdata", "TestGolden.golden") {
		t.Errorf("Path = %q", got)
	}
}
