package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestFileDigest(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cc")
	v1 := []byte("compiler version 1")
	if err := os.WriteFile(p, v1, 0o755); err != nil {
		t.Fatal(err)
	}
	mtime := time.Unix(1704067200, 0)
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}

	first, err := FileDigest(p)
	if err != nil {
		t.Fatal(err)
	}
	if first != sha(v1) {
		t.Fatalf("FileDigest = %s, want %s", first, sha(v1))
	}
	second, err := FileDigest(p)
	if err != nil || second != first {
		t.Fatalf("second FileDigest = %s, %v; want %s", second, err, first)
	}

	t.Run("rewritten in place, size, inode and mtime kept", func(t *testing.T) {
		// What make would miss: the same size and inode, the mtime put
		// back (as touch -d or cp -p do). The ctime moved, so the file is
		// read again.
		v1b := []byte("COMPILER VERSION 1")
		if err := os.WriteFile(p, v1b, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		if got, _ := FileDigest(p); got != sha(v1b) {
			t.Fatalf("FileDigest = %s, want the new content's %s", got, sha(v1b))
		}
	})

	t.Run("rewritten file", func(t *testing.T) {
		v2 := []byte("compiler version 2, longer")
		if err := os.WriteFile(p, v2, 0o755); err != nil {
			t.Fatal(err)
		}
		later := mtime.Add(time.Second)
		if err := os.Chtimes(p, later, later); err != nil {
			t.Fatal(err)
		}
		got, err := FileDigest(p)
		if err != nil {
			t.Fatal(err)
		}
		if got != sha(v2) {
			t.Fatalf("FileDigest after rewrite = %s, want %s", got, sha(v2))
		}
	})

	t.Run("relative path shares the memo", func(t *testing.T) {
		t.Chdir(filepath.Dir(p))
		got, err := FileDigest(filepath.Base(p))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := FileDigest(p)
		if got != want {
			t.Fatalf("relative %s, absolute %s", got, want)
		}
	})
}

func TestFileDigestConcurrent(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ar")
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	want := sha(data)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if got, err := FileDigest(p); err != nil || got != want {
				t.Errorf("FileDigest = %s, %v; want %s", got, err, want)
			}
		})
	}
	wg.Wait()
}

func TestFileDigestErrors(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{filepath.Join(dir, "missing"), dir} {
		if got, err := FileDigest(p); err == nil {
			t.Errorf("FileDigest(%s) = %s, want an error", p, got)
		}
	}
}
