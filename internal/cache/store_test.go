package cache

import (
	"bytes"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fixture is a store and the output files of one cell.
type fixture struct {
	s     Store
	k     Key
	files map[string]string // output name -> host path
	data  map[string][]byte
	modes map[string]fs.FileMode
	meta  map[string]string
}

func newFixture(t testing.TB, name string) fixture {
	t.Helper()
	f := fixture{
		s:     Store{Dir: t.TempDir()},
		k:     Inputs{Toolchain: name}.Key(),
		files: map[string]string{},
		data: map[string][]byte{
			"hello":         bytes.Repeat([]byte("\x7fELF hello "), 400),
			"lib/libfoo.so": []byte("shared object"),
			"manifest.json": []byte(`{"an output": "with the manifest's name"}`),
		},
		modes: map[string]fs.FileMode{"hello": 0o755, "lib/libfoo.so": 0o644, "manifest.json": 0o600},
		meta:  map[string]string{"size": "4400", "toolchain": name},
	}
	src := t.TempDir()
	for name, b := range f.data {
		p := filepath.Join(src, filepath.FromSlash(name))
		writeFile(t, p, b, f.modes[name])
		f.files[name] = p
	}
	return f
}

func writeFile(t testing.TB, p string, b []byte, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // umask-independent
		t.Fatal(err)
	}
}

func (f fixture) put(t testing.TB) {
	t.Helper()
	if err := f.s.Put(f.k, f.files, f.meta); err != nil {
		t.Fatalf("Put: %v", err)
	}
}

func (f fixture) cachePath(name string) string {
	return filepath.Join(f.s.entryDir(f.k), filesDir, filepath.FromSlash(name))
}

// getHit restores the entry into a new directory and checks every byte,
// mode and digest, the meta, and that nothing else was left in it.
func (f fixture) getHit(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	e, ok, err := f.s.Get(f.k, dst)
	if err != nil || !ok {
		t.Fatalf("Get = %v, %v; want a hit", ok, err)
	}
	if !maps.Equal(e.Meta, f.meta) {
		t.Errorf("Meta = %v, want %v", e.Meta, f.meta)
	}
	var got []string
	filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dst, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return nil
	})
	if len(got) != len(f.data) {
		t.Errorf("restored %v, want exactly %d files", got, len(f.data))
	}
	for name, want := range f.data {
		p := filepath.Join(dst, filepath.FromSlash(name))
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(b, want) {
			t.Errorf("restored %s = %q, %v; want %q", name, b, err, want)
		}
		if e.Files[name] != sha(want) {
			t.Errorf("Entry.Files[%s] = %s, want %s", name, e.Files[name], sha(want))
		}
		if !f.s.Link {
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != f.modes[name] {
				t.Errorf("restored %s has mode %v, want %v", name, fi.Mode().Perm(), f.modes[name])
			}
		}
	}
	return dst
}

// checkGone asserts a miss removed the entry directory.
func (f fixture) checkGone(t *testing.T) {
	t.Helper()
	if _, err := os.Lstat(f.s.entryDir(f.k)); !os.IsNotExist(err) {
		t.Errorf("entry still present after a miss: %v", err)
	}
}

func TestPutGet(t *testing.T) {
	f := newFixture(t, "gcc")
	f.put(t)
	f.getHit(t)
	for name := range f.data {
		fi, err := os.Stat(f.cachePath(name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o222 != 0 {
			t.Errorf("cache file %s is writable: %v", name, fi.Mode())
		}
	}
	t.Run("overwrites existing outputs", func(t *testing.T) {
		dst := t.TempDir()
		writeFile(t, filepath.Join(dst, "hello"), []byte("stale"), 0o755)
		if _, ok, err := f.s.Get(f.k, dst); !ok || err != nil {
			t.Fatalf("Get = %v, %v", ok, err)
		}
		if b, _ := os.ReadFile(filepath.Join(dst, "hello")); !bytes.Equal(b, f.data["hello"]) {
			t.Errorf("hello not replaced: %q", b)
		}
	})
}

func TestGetMiss(t *testing.T) {
	f := newFixture(t, "gcc")
	dst := filepath.Join(t.TempDir(), "out")
	e, ok, err := f.s.Get(f.k, dst)
	if ok || err != nil || e.Files != nil {
		t.Fatalf("Get on an empty store = %v, %v, %v; want a miss", e, ok, err)
	}
	f.put(t)
	if _, ok, err := f.s.Get(Inputs{Toolchain: "clang"}.Key(), dst); ok || err != nil {
		t.Fatalf("Get of another key = %v, %v; want a miss", ok, err)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("a miss created %s", dst)
	}
}

func TestGetDamaged(t *testing.T) {
	// lib/libfoo.so sorts between the other two files, so a damaged entry
	// is detected after one file was already staged.
	const victim = "lib/libfoo.so"
	tests := []struct {
		name   string
		damage func(t *testing.T, f fixture)
	}{
		{"flipped byte", func(t *testing.T, f fixture) {
			b := bytes.Clone(f.data[victim])
			b[3] ^= 0x01
			rewrite(t, f.cachePath(victim), b)
		}},
		{"truncated", func(t *testing.T, f fixture) { rewrite(t, f.cachePath(victim), f.data[victim][:5]) }},
		{"grown", func(t *testing.T, f fixture) {
			rewrite(t, f.cachePath(victim), append(bytes.Clone(f.data[victim]), 'x'))
		}},
		{"deleted file", func(t *testing.T, f fixture) {
			if err := os.Remove(f.cachePath(victim)); err != nil {
				t.Fatal(err)
			}
		}},
		{"garbage manifest", func(t *testing.T, f fixture) {
			rewrite(t, filepath.Join(f.s.entryDir(f.k), manifestName), []byte("{\"version\": 1, \"fi"))
		}},
		{"deleted manifest", func(t *testing.T, f fixture) {
			if err := os.Remove(filepath.Join(f.s.entryDir(f.k), manifestName)); err != nil {
				t.Fatal(err)
			}
		}},
		{"manifest of another key", func(t *testing.T, f fixture) {
			p := filepath.Join(f.s.entryDir(f.k), manifestName)
			b, _ := os.ReadFile(p)
			rewrite(t, p, bytes.Replace(b, []byte(f.k.String()), []byte(Inputs{}.Key().String()), 1))
		}},
		{"manifest name escaping the entry", func(t *testing.T, f fixture) {
			p := filepath.Join(f.s.entryDir(f.k), manifestName)
			b, _ := os.ReadFile(p)
			rewrite(t, p, bytes.Replace(b, []byte(`"hello"`), []byte(`"../../hello"`), 1))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, "gcc")
			f.put(t)
			tt.damage(t, f)

			dst := t.TempDir()
			writeFile(t, filepath.Join(dst, "hello"), []byte("previous build"), 0o755)
			e, ok, err := f.s.Get(f.k, dst)
			if ok || err != nil || e.Files != nil {
				t.Fatalf("Get = %v, %v, %v; want a miss", e, ok, err)
			}
			f.checkGone(t)
			// Nothing was exposed: the old output is untouched and no
			// temporary file is left.
			var left []string
			filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					left = append(left, p)
				}
				return nil
			})
			if b, _ := os.ReadFile(filepath.Join(dst, "hello")); string(b) != "previous build" || len(left) != 1 {
				t.Errorf("a damaged entry changed the destination: hello = %q, files %v", b, left)
			}

			f.put(t)
			f.getHit(t)
		})
	}
}

// rewrite replaces the content of a read-only cache file.
func rewrite(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrent(t *testing.T) {
	f := newFixture(t, "gcc")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := f.s.Put(f.k, f.files, f.meta); err != nil {
				t.Errorf("Put: %v", err)
			}
		})
	}
	wg.Wait()
	f.getHit(t)
	top, _ := os.ReadDir(f.s.root())
	for _, d := range top {
		if strings.HasPrefix(d.Name(), tmpPrefix) {
			t.Errorf("Put left %s behind", d.Name())
		}
	}

	for range 8 {
		wg.Go(func() {
			if _, ok, err := f.s.Get(f.k, t.TempDir()); !ok || err != nil {
				t.Errorf("concurrent Get = %v, %v", ok, err)
			}
		})
	}
	wg.Wait()
}

func TestRestoredIsIndependent(t *testing.T) {
	f := newFixture(t, "gcc")
	f.put(t)
	dst := f.getHit(t)
	p := filepath.Join(dst, "hello")
	if err := os.WriteFile(p, []byte("edited in place"), 0o755); err != nil {
		t.Fatal(err)
	}
	f.getHit(t)
}

func TestLinkMode(t *testing.T) {
	f := newFixture(t, "gcc")
	f.s.Link = true
	f.put(t)
	dst := f.getHit(t)
	p := filepath.Join(dst, "hello")
	restored, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	cached, err := os.Stat(f.cachePath("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(restored, cached) {
		t.Fatal("output is not a hard link to the cache")
	}
	if restored.Mode().Perm() != 0o555 {
		t.Errorf("linked output has mode %v, want the cache's read-only r-xr-xr-x", restored.Mode())
	}
	// A tool that forces a write into the output changes the cache's
	// inode: the next Get must notice and miss, not restore the edit.
	rewrite(t, p, []byte("patched by a tool"))
	if _, ok, err := f.s.Get(f.k, t.TempDir()); ok || err != nil {
		t.Fatalf("Get after an in-place edit = %v, %v; want a miss", ok, err)
	}
	f.checkGone(t)
	f.put(t)
	f.getHit(t)
}

func TestPutInvalidName(t *testing.T) {
	f := newFixture(t, "gcc")
	for _, name := range []string{"", "../x", "/etc/passwd", "a/../b", "./a", "a/"} {
		if err := f.s.Put(f.k, map[string]string{name: f.files["hello"]}, nil); err == nil {
			t.Errorf("Put accepted the output name %q", name)
		}
	}
	if err := f.s.Put(f.k, map[string]string{"hello": filepath.Dir(f.files["hello"])}, nil); err == nil {
		t.Error("Put accepted a directory")
	}
	if entries, _, _ := f.s.Stats(); entries != 0 {
		t.Errorf("failed Puts left %d entries", entries)
	}
}
