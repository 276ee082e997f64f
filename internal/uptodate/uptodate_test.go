package uptodate

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func tree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{"a/x.c": "int x;\n", "a/y.h": "#define Y 1\n", "b": "b\n"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func snap(t *testing.T, dir string) []File {
	t.Helper()
	files, err := Snapshot([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Every change a build must notice makes a snapshot stale, including a
// rewrite that keeps the size and sets the mtime back; reading changes
// nothing.
func TestUnchanged(t *testing.T) {
	cases := map[string]func(t *testing.T, dir string){
		"other bytes of the same size, mtime set back": func(t *testing.T, dir string) {
			p := filepath.Join(dir, "a/x.c")
			st, _ := os.Stat(p)
			if err := os.WriteFile(p, []byte("int z;\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, st.ModTime(), st.ModTime()); err != nil {
				t.Fatal(err)
			}
		},
		"a file added to a folder": func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "a/new.h"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		},
		"a file removed": func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "b")); err != nil {
				t.Fatal(err)
			}
		},
		"a mode changed": func(t *testing.T, dir string) {
			if err := os.Chmod(filepath.Join(dir, "b"), 0o755); err != nil {
				t.Fatal(err)
			}
		},
		"a file replaced by a rename": func(t *testing.T, dir string) {
			tmp := filepath.Join(dir, "a/tmp")
			if err := os.WriteFile(tmp, []byte("int x;\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, filepath.Join(dir, "a/x.c")); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			dir := tree(t)
			files := snap(t, dir)
			if len(files) != 5 {
				t.Fatalf("%d entries, want the root, a, a/x.c, a/y.h and b: %+v", len(files), files)
			}
			if _, err := os.ReadFile(filepath.Join(dir, "a/x.c")); err != nil {
				t.Fatal(err)
			}
			if !Unchanged(files) {
				t.Fatal("reading a file changed the snapshot")
			}
			time.Sleep(10 * time.Millisecond) // past the file system's timestamp granularity
			change(t, dir)
			if Unchanged(files) {
				t.Errorf("%s: the snapshot still matches", name)
			}
		})
	}
}

func TestSnapshotSkips(t *testing.T) {
	dir := tree(t)
	files, err := Snapshot([]string{dir, filepath.Join(dir, "b")}, func(p string) bool { return filepath.Base(p) == "a" })
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f.Path)
		got = append(got, rel)
	}
	if want := []string{".", "b", "b"}; len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("snapshot of the folder less a/, then the file b: %v, want %v", got, want)
	}
	if _, err := Snapshot([]string{filepath.Join(dir, "gone")}, nil); err == nil {
		t.Error("a root that does not exist gave no error")
	}
}

// Load gives back only a record of this version and key whose files are
// unchanged; a damaged, foreign or stale record is none.
func TestLoad(t *testing.T) {
	dir := tree(t)
	rec := filepath.Join(t.TempDir(), "rec", "r.json")
	if err := Save(rec, Record{Key: "k", Files: snap(t, dir), Stderr: "cells: 2 built\n", Stdout: "{}\n"}); err != nil {
		t.Fatal(err)
	}
	r := Load(rec, "k")
	if r == nil || r.Stderr != "cells: 2 built\n" || r.Stdout != "{}\n" {
		t.Fatalf("Load = %+v, want the record saved", r)
	}
	if Load(rec, "other") != nil || Load(rec, "") != nil {
		t.Error("a record was given back for another key")
	}
	if err := Save(rec, Record{}); err == nil {
		t.Error("a record without a key was saved")
	}
	data, _ := os.ReadFile(rec)
	for name, bad := range map[string][]byte{
		"torn":          data[:len(data)/2],
		"other version": []byte(`{"version":99,"key":"k","files":[{"path":"/"}]}`),
		"no files":      []byte(`{"version":1,"key":"k","files":[]}`),
	} {
		if err := os.WriteFile(rec, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		if Load(rec, "k") != nil {
			t.Errorf("%s record was given back", name)
		}
	}
	if err := os.WriteFile(rec, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	if Load(rec, "k") != nil {
		t.Error("a record was given back after one of its files was removed")
	}
	if err := Forget(rec); err != nil {
		t.Fatal(err)
	}
	if err := Forget(rec); err != nil {
		t.Errorf("forgetting a record that is not there: %v", err)
	}
	if _, err := os.Stat(rec); err == nil {
		t.Error("Forget left the record")
	}
}

// BenchmarkLoad is a no-op's whole check of a record the size of the
// whole matrix's: 7,000 files (about 35 per cell of 200 cells), read,
// decoded and each file's identity compared.
func BenchmarkLoad(b *testing.B) {
	dir := b.TempDir()
	for i := range 200 {
		cell := filepath.Join(dir, "bin", fmt.Sprintf("cell%03d", i))
		if err := os.MkdirAll(cell, 0o755); err != nil {
			b.Fatal(err)
		}
		for j := range 34 {
			if err := os.WriteFile(filepath.Join(cell, fmt.Sprintf("f%02d", j)), []byte("x"), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	files, err := Snapshot([]string{dir}, nil)
	if err != nil {
		b.Fatal(err)
	}
	rec := filepath.Join(b.TempDir(), "r.json")
	if err := Save(rec, Record{Key: "k", Files: files, Stderr: "summary\n"}); err != nil {
		b.Fatal(err)
	}
	b.Run("Load", func(b *testing.B) {
		for range b.N {
			if Load(rec, "k") == nil {
				b.Fatal("not replayed")
			}
		}
	})
	// The same files looked at one after another by whole path: what
	// Unchanged does in parts, relative to each open folder.
	b.Run("stat-each", func(b *testing.B) {
		for range b.N {
			for _, f := range files {
				if now, err := identify(f.Path); err != nil || now != f {
					b.Fatal("changed")
				}
			}
		}
	})
	b.Run("Unchanged", func(b *testing.B) {
		for range b.N {
			if !Unchanged(files) {
				b.Fatal("changed")
			}
		}
	})
}
