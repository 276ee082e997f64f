package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/digest"
)

// Memo remembers the sha256 of files by absolute path. A recorded digest
// is trusted only while the file's size, mtime (in nanoseconds), device,
// inode and ctime all match what they were when it was hashed; otherwise the
// file is hashed again. Concurrent Digest calls for one version of a file
// hash it once. A Memo is safe for concurrent use.
//
// A Memo has one of two lifetimes: NewMemo's lasts as long as the process
// (FileDigest uses one), LoadMemo's is also read from a file and written
// back by Save, so that a build that changed nothing does not read the
// toolchain binaries, the recipes' sources and out/'s binaries again.
// It assumes that a file whose content changed did not also keep its
// size, mtime, inode and ctime (which no user command sets back).
type Memo struct {
	path string // the file of a persisted memo; "" for an in-process one

	mu    sync.Mutex
	m     map[string]*memoCall // by absolute path; one version per path
	dirty bool                 // a digest was computed since the last Save
}

// fileID identifies one version of a file without reading it.
type fileID struct {
	size  int64
	mtime int64 // nanoseconds
	dev   uint64
	ino   uint64
	ctime int64 // nanoseconds; 0 where unknown
}

func statID(fi fs.FileInfo) fileID {
	dev, ino, ctime := identity(fi)
	return fileID{size: fi.Size(), mtime: fi.ModTime().UnixNano(), dev: dev, ino: ino, ctime: ctime}
}

// memoCall is one hashing of one version of a file, or one record loaded
// from the memo file; done is closed when sum and err are set.
type memoCall struct {
	id    fileID
	done  chan struct{}
	sum   string
	err   error
	fresh bool // hashed by this process: Save writes it over the file's record
}

// memoRecord is one entry of the memo file, which is a JSON object from
// absolute path to record (the format of the pipeline's digests.json).
type memoRecord struct {
	Size    int64  `json:"size"`
	MtimeNS int64  `json:"mtime_ns"`
	Dev     uint64 `json:"dev"`
	Ino     uint64 `json:"ino"`
	CtimeNS int64  `json:"ctime_ns,omitempty"`
	SHA256  string `json:"sha256"`
}

// NewMemo returns an empty memo that lives as long as the process.
func NewMemo() *Memo {
	return &Memo{m: map[string]*memoCall{}}
}

// LoadMemo returns the memo saved in the file at path, for Save to write
// back. A missing, unreadable or damaged file gives an empty memo: the
// run is only slower.
func LoadMemo(path string) *Memo {
	m := NewMemo()
	m.path = path
	for p, rec := range readMemoFile(path) {
		m.m[p] = rec.call()
	}
	return m
}

// readMemoFile returns the valid records of the memo file at path, or
// none if it cannot be read or decoded.
func readMemoFile(path string) map[string]memoRecord {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var recs map[string]memoRecord
	if json.Unmarshal(data, &recs) != nil {
		return nil
	}
	for p, rec := range recs {
		if _, err := hex.DecodeString(rec.SHA256); err != nil || len(rec.SHA256) != 2*sha256.Size ||
			!filepath.IsAbs(p) || rec.Size < 0 {
			delete(recs, p)
		}
	}
	return recs
}

// closed is the done channel of loaded records.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (r memoRecord) call() *memoCall {
	return &memoCall{
		id:   fileID{size: r.Size, mtime: r.MtimeNS, dev: r.Dev, ino: r.Ino, ctime: r.CtimeNS},
		done: closed,
		sum:  r.SHA256,
	}
}

// Digest returns the hex sha256 of the regular file at path, from the
// memo when the file's size, mtime, device and inode match the record.
func (m *Memo) Digest(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("hashing file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("hashing %s: not a regular file", abs)
	}
	id := statID(fi)

	m.mu.Lock()
	c, ok := m.m[abs]
	if ok && c.id == id {
		m.mu.Unlock()
		<-c.done
		return c.sum, c.err
	}
	c = &memoCall{id: id, done: make(chan struct{}), fresh: true}
	m.m[abs] = c
	m.mu.Unlock()

	sum, hashed, err := hashFile(abs)
	m.mu.Lock()
	switch {
	case err != nil:
		c.err = fmt.Errorf("hashing %s: %w", abs, err)
		if m.m[abs] == c {
			delete(m.m, abs) // let the next call retry
		}
	case hashed != id:
		// The file changed between Stat and the end of hashing: the
		// caller gets what was read, the memo keeps nothing.
		c.sum = sum
		if m.m[abs] == c {
			delete(m.m, abs)
		}
	default:
		c.sum = sum
		m.dirty = true
	}
	m.mu.Unlock()
	close(c.done)
	return c.sum, c.err
}

// hashFile returns the hex sha256 of the file at path and the identity
// the file had while it was read (the zero fileID if it changed during
// the read).
func hashFile(path string) (string, fileID, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fileID{}, err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return "", fileID{}, err
	}
	sum, err := digest.Reader(f)
	if err != nil {
		return "", fileID{}, err
	}
	after, err := f.Stat()
	if err != nil {
		return "", fileID{}, err
	}
	if statID(before) != statID(after) {
		return sum, fileID{}, nil
	}
	return sum, statID(after), nil
}

// Save writes a persisted memo back to its file if Digest computed
// anything since it was loaded or last saved; it does nothing for a memo
// from NewMemo. The file is replaced atomically (internal/atomicfile), so
// a reader sees the old or the new file, never a torn one. Records other
// processes saved meanwhile are merged in, under an flock on the file
// <path>.lock so that concurrent Saves lose nothing; where the file
// differs from this memo about a path, the digest this process computed
// wins, and otherwise the file's. Records of files that no longer exist
// are dropped.
func (m *Memo) Save() error {
	if m.path == "" {
		return nil
	}
	m.mu.Lock()
	dirty := m.dirty
	m.mu.Unlock()
	if !dirty {
		return nil
	}
	unlock, err := lockFile(m.path + ".lock")
	if err != nil {
		return fmt.Errorf("saving digest memo: %w", err)
	}
	defer unlock()
	onDisk := readMemoFile(m.path)

	m.mu.Lock()
	for p, rec := range onDisk {
		if c, ok := m.m[p]; !ok || !c.fresh && c.id != rec.call().id {
			m.m[p] = rec.call()
		}
	}
	recs := make(map[string]memoRecord, len(m.m))
	for p, c := range m.m {
		select {
		case <-c.done:
		default:
			continue // still hashing: sets dirty when done
		}
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			// Gone (a test's or another out/'s binary): the file would
			// otherwise grow with every folder ever built in.
			delete(m.m, p)
			continue
		}
		if c.err == nil {
			recs[p] = memoRecord{Size: c.id.size, MtimeNS: c.id.mtime, Dev: c.id.dev, Ino: c.id.ino, CtimeNS: c.id.ctime, SHA256: c.sum}
		}
	}
	m.dirty = false
	m.mu.Unlock()

	data, err := json.Marshal(recs)
	if err == nil {
		err = atomicfile.Write(m.path, append(data, '\n'), 0o644)
	}
	if err != nil {
		m.mu.Lock()
		m.dirty = true
		m.mu.Unlock()
		return fmt.Errorf("saving digest memo: %w", err)
	}
	return nil
}

// fileDigests is the memo of FileDigest.
var fileDigests = NewMemo()

// FileDigest returns the hex sha256 of the file at path. The result is
// memoized by (absolute path, size, mtime, device, inode) for the life of
// the process, and concurrent calls for the same file hash it once, so the
// toolchain binaries shared by many cells are read once per run. The
// memo keeps one version per path.
func FileDigest(path string) (string, error) {
	return fileDigests.Digest(path)
}
