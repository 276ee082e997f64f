package golden

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	os.Mkdir("testdata", 0o755)
	if err := os.WriteFile(filepath.Join(dir, Path(t)), []byte("same"), 0o644); err != nil {
		t.Fatal(err)
	}
	Check(t, []byte("same"))
	if got := Path(t); got != filepath.Join("testdata", "TestCheck.golden") {
		t.Errorf("Path = %q", got)
	}
}
