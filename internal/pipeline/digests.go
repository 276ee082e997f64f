package pipeline

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/fromscratch/fromscratch/internal/cache"
)

// digestMemo remembers file digests across runs, keyed by path and
// (size, mtime, device, inode), so that a no-op build does not read the
// 150 MB zig binary again. It lives in the cache directory.
type digestMemo struct {
	path  string
	mu    sync.Mutex
	m     map[string]memoEntry
	dirty bool
}

type memoEntry struct {
	Size    int64  `json:"size"`
	MtimeNS int64  `json:"mtime_ns"`
	Dev     uint64 `json:"dev"`
	Ino     uint64 `json:"ino"`
	Digest  string `json:"sha256"`
}

func loadDigestMemo(cacheDir string) *digestMemo {
	d := &digestMemo{path: filepath.Join(cacheDir, "digests.json"), m: map[string]memoEntry{}}
	if data, err := os.ReadFile(d.path); err == nil {
		_ = json.Unmarshal(data, &d.m) // a damaged memo is only a slower run
	}
	return d
}

func statEntry(p string) (memoEntry, error) {
	st, err := os.Stat(p)
	if err != nil {
		return memoEntry{}, err
	}
	e := memoEntry{Size: st.Size(), MtimeNS: st.ModTime().UnixNano()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		e.Dev, e.Ino = uint64(sys.Dev), sys.Ino
	}
	return e, nil
}

// digest returns the hex sha256 of the file at p.
func (d *digestMemo) digest(p string) (string, error) {
	e, err := statEntry(p)
	if err != nil {
		return "", fmt.Errorf("hashing %s: %w", p, err)
	}
	d.mu.Lock()
	old, ok := d.m[p]
	d.mu.Unlock()
	if ok && old.Size == e.Size && old.MtimeNS == e.MtimeNS && old.Dev == e.Dev && old.Ino == e.Ino {
		return old.Digest, nil
	}
	if e.Digest, err = cache.FileDigest(p); err != nil {
		return "", err
	}
	d.mu.Lock()
	d.m[p], d.dirty = e, true
	d.mu.Unlock()
	return e.Digest, nil
}

// save writes the memo back through a temp file renamed into place.
func (d *digestMemo) save() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.dirty {
		return nil
	}
	data, err := json.Marshal(d.m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(d.path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(d.path), ".digests-")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	tmp.Close()
	return os.Rename(tmp.Name(), d.path)
}
