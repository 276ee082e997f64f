package digest_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/digest"
)

func TestFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "abc")
	if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	// FIPS 180-2's example.
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got, err := digest.File(p); err != nil || got != abc {
		t.Errorf("File = %s, %v; want %s", got, err, abc)
	}
	if got, err := digest.Reader(strings.NewReader("abc")); err != nil || got != abc {
		t.Errorf("Reader = %s, %v; want %s", got, err, abc)
	}
	if _, err := digest.File(p + ".missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	if _, err := digest.File(filepath.Dir(p)); err == nil || !strings.Contains(err.Error(), "hashing") {
		t.Errorf("a folder: %v, want a hashing error", err)
	}
}
