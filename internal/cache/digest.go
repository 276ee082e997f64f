package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// fileID identifies one version of a file without reading it.
type fileID struct {
	size  int64
	mtime int64 // nanoseconds
	dev   uint64
	ino   uint64
}

// digestCall is one hashing of one version of a file; done is closed when
// sum and err are set.
type digestCall struct {
	id   fileID
	done chan struct{}
	sum  string
	err  error
}

// digests memoizes FileDigest per absolute path, for the whole process.
var digests = struct {
	sync.Mutex
	m map[string]*digestCall
}{m: map[string]*digestCall{}}

// FileDigest returns the hex sha256 of the file at path. The result is
// memoized by (absolute path, size, mtime, device, inode) for the life of
// the process, and concurrent calls for the same file hash it once, so the
// toolchain binaries shared by many cells are read once per run. The
// memo keeps one version per path.
func FileDigest(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", path, err)
	}
	f, err := os.Open(abs)
	if err != nil {
		return "", fmt.Errorf("hashing file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("hashing file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("hashing %s: not a regular file", abs)
	}
	dev, ino := identity(fi)
	id := fileID{size: fi.Size(), mtime: fi.ModTime().UnixNano(), dev: dev, ino: ino}

	digests.Lock()
	c, ok := digests.m[abs]
	if ok && c.id == id {
		digests.Unlock()
		<-c.done
		return c.sum, c.err
	}
	c = &digestCall{id: id, done: make(chan struct{})}
	digests.m[abs] = c
	digests.Unlock()

	c.sum, c.err = hashReader(f)
	if c.err != nil {
		c.err = fmt.Errorf("hashing %s: %w", abs, c.err)
		digests.Lock()
		if digests.m[abs] == c {
			delete(digests.m, abs) // let the next call retry
		}
		digests.Unlock()
	}
	close(c.done)
	return c.sum, c.err
}

// hashReader returns the hex sha256 of everything r yields.
func hashReader(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
