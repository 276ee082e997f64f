package image

import (
	"os"
	"path/filepath"
	"testing"
)

// An image unpacks into the files of its layers, with their modes made
// 0755 or 0644, and nothing else.
func TestUnpack(t *testing.T) {
	img := mustBuild(t, fixtureSpec("testdata", "linux/amd64"))
	dir := filepath.Join(t.TempDir(), "rootfs")
	if err := Unpack(img, dir); err != nil {
		t.Fatal(err)
	}
	hello, _ := os.ReadFile("testdata/hello")
	lib, _ := os.ReadFile("testdata/lib/libfake.so.1")
	want := map[string]struct {
		data []byte
		mode os.FileMode
	}{
		"hello":                     {hello, 0o755},
		"usr/lib/libfake.so.1":      {lib, 0o644},
		"usr/lib/fake/libfake.so.1": {lib, 0o644}, // 0600 in the layer
	}
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		rel, _ := filepath.Rel(dir, p)
		w, ok := want[filepath.ToSlash(rel)]
		st, _ := os.Lstat(p)
		b, _ := os.ReadFile(p)
		if !ok || string(b) != string(w.data) || st.Mode() != w.mode {
			t.Errorf("%s: mode %v, %d bytes; want %v", rel, st.Mode(), len(b), w.mode)
		}
		return nil
	})
	if err != nil || n != len(want) {
		t.Errorf("%d files (%v), want %d", n, err, len(want))
	}
}
