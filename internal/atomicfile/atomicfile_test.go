package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "f.txt")
	if err := Write(p, []byte("one"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil || string(got) != "two" {
		t.Fatalf("got %q, %v; want two", got, err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	assertOnly(t, filepath.Dir(p), "f.txt")
}

// WriteChanged leaves a file with the same bytes and mode as it is (the
// same inode), and replaces one whose bytes or mode differ.
func TestWriteChanged(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f.txt")
	inode := func() uint64 {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	if err := WriteChanged(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	first := inode()
	if err := WriteChanged(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if inode() != first {
		t.Error("the same bytes and mode were written again")
	}
	for _, c := range []struct {
		data string
		perm os.FileMode
	}{{"two", 0o644}, {"two", 0o600}} {
		before := inode()
		if err := WriteChanged(p, []byte(c.data), c.perm); err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(p)
		got, _ := os.ReadFile(p)
		if inode() == before || string(got) != c.data || fi.Mode().Perm() != c.perm {
			t.Errorf("after WriteChanged(%q, %v): %q, %v, replaced %v", c.data, c.perm, got, fi.Mode().Perm(), inode() != before)
		}
	}
}

func TestWriteFromErrorKeepsOld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := Write(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFrom(p, 0o644, func(w io.Writer) error {
		w.Write([]byte("half"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	got, _ := os.ReadFile(p)
	if string(got) != "old" {
		t.Errorf("file = %q after a failed write, want old", got)
	}
	assertOnly(t, dir, "f")
}

func TestReplaceDir(t *testing.T) {
	dir := t.TempDir()
	final := filepath.Join(dir, "out")
	for _, content := range []string{"a", "b"} {
		tmp, err := os.MkdirTemp(dir, ".tmp-")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, content), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := ReplaceDir(tmp, final); err != nil {
			t.Fatal(err)
		}
		assertOnly(t, final, content)
	}
	assertOnly(t, dir, "out")
}

func TestCopy(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "dst")
	if err := Copy(src, dst, 0o755); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dst)
	fi, _ := os.Stat(dst)
	if string(got) != "data" || fi.Mode().Perm() != 0o755 {
		t.Errorf("copy = %q %v, want data 0755", got, fi.Mode().Perm())
	}
	if err := Copy(filepath.Join(dir, "missing"), dst, 0o755); err == nil {
		t.Error("copying a missing file succeeded")
	}
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if len(got) != len(names) {
		t.Fatalf("%s holds %v, want %v", dir, got, names)
	}
	for i := range names {
		if got[i] != names[i] {
			t.Fatalf("%s holds %v, want %v", dir, got, names)
		}
	}
}

// CopyTree keeps each file's bytes and permission bits, skips what is not
// a regular file, and copies nothing from a missing folder.
func TestCopyTree(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "copy")
	os.MkdirAll(filepath.Join(src, "a", "b"), 0o755)
	os.WriteFile(filepath.Join(src, "a", "b", "prog"), []byte("elf"), 0o755)
	os.WriteFile(filepath.Join(src, "log"), []byte("text"), 0o600)
	os.Symlink("log", filepath.Join(src, "link"))
	if err := CopyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]struct {
		data string
		mode os.FileMode
	}{"a/b/prog": {"elf", 0o755}, "log": {"text", 0o600}} {
		p := filepath.Join(dst, filepath.FromSlash(name))
		data, err := os.ReadFile(p)
		fi, _ := os.Stat(p)
		if err != nil || string(data) != want.data || fi.Mode().Perm() != want.mode {
			t.Errorf("%s: %q, %v (%v); want %q, %v", name, data, fi.Mode().Perm(), err, want.data, want.mode)
		}
	}
	if _, err := os.Lstat(filepath.Join(dst, "link")); !os.IsNotExist(err) {
		t.Errorf("the symlink was copied: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "none")
	if err := CopyTree(missing, filepath.Join(t.TempDir(), "x")); err != nil {
		t.Errorf("CopyTree of a missing folder: %v", err)
	}
}

// CopyTreeWithout leaves out the folders skip names, at any depth, and
// copies the rest as CopyTree does.
func TestCopyTreeWithout(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "copy")
	for _, f := range []string{"a.c", ".git/HEAD", "sub/b.c", "sub/.cache/x", ".hidden"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := CopyTreeWithout(src, dst, func(name string) bool { return strings.HasPrefix(name, ".") }); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]bool{"a.c": true, "sub/b.c": true, ".hidden": true, ".git/HEAD": false, "sub/.cache/x": false} {
		if _, err := os.Stat(filepath.Join(dst, f)); (err == nil) != want {
			t.Errorf("%s copied: %v, want %v", f, err == nil, want)
		}
	}
}
