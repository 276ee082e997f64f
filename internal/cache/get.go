package cache

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// LinkEnv names the environment variable that makes Get restore files by
// hard link instead of copying ("1" turns it on).
const LinkEnv = "FROMSCRATCH_CACHE_LINK"

// cacheFault is a problem with a cache entry rather than with the
// destination: the entry is unusable and Get reports a miss.
type cacheFault struct{ err error }

func (e *cacheFault) Error() string { return "unusable cache entry: " + e.err.Error() }
func (e *cacheFault) Unwrap() error { return e.err }

// Get restores the entry for k into dstDir and returns its files and meta.
// Every file is verified against the manifest (size and sha256) before any
// is given its name in dstDir. An absent entry is a miss; a damaged one
// (bad manifest, missing, short or changed file) is a miss too, and is
// removed so the caller rebuilds it. The error is non-nil only for
// problems writing dstDir.
func (s Store) Get(k Key, dstDir string) (Entry, bool, error) {
	dir := s.entryDir(k)
	m, err := readManifest(dir, k)
	if err != nil {
		s.discard(dir)
		return Entry{}, false, nil
	}
	if err := os.MkdirAll(dstDir, 0o755); err != nil {
		return Entry{}, false, fmt.Errorf("creating %s: %w", dstDir, err)
	}
	link := os.Getenv(LinkEnv) == "1"
	names := slices.Sorted(maps.Keys(m.Files))
	var staged []string
	defer func() {
		for _, t := range staged {
			if t != "" {
				os.Remove(t)
			}
		}
	}()
	for _, name := range names {
		src := filepath.Join(dir, filesDir, filepath.FromSlash(name))
		tmp, err := stage(src, filepath.Join(dstDir, filepath.FromSlash(name)), m.Files[name], link)
		if err != nil {
			if _, ok := errors.AsType[*cacheFault](err); ok {
				s.discard(dir)
				return Entry{}, false, nil
			}
			return Entry{}, false, fmt.Errorf("restoring %s: %w", name, err)
		}
		staged = append(staged, tmp)
	}
	for i, name := range names {
		if err := os.Rename(staged[i], filepath.Join(dstDir, filepath.FromSlash(name))); err != nil {
			return Entry{}, false, fmt.Errorf("restoring %s: %w", name, err)
		}
		staged[i] = ""
	}
	// Record the use for Prune. Best effort: a read-only cache still hits.
	now := time.Now()
	os.Chtimes(filepath.Join(dir, manifestName), now, now)

	e := Entry{Files: make(map[string]string, len(m.Files)), Meta: m.Meta}
	for name, f := range m.Files {
		e.Files[name] = f.SHA256
	}
	return e, true, nil
}

// stage puts a verified copy (or hard link) of the cache file src next to
// target under a hidden temporary name and returns that name. Problems
// with src are *cacheFault.
func stage(src, target string, f manifestFile, link bool) (string, error) {
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	prefix := "." + filepath.Base(target) + ".tmp-"
	if link {
		tmp := filepath.Join(dir, prefix+rand.Text())
		if err := os.Link(src, tmp); err == nil {
			// tmp is the cache's inode: hash what was linked.
			if err := verifyFile(tmp, f); err != nil {
				os.Remove(tmp)
				return "", err
			}
			return tmp, nil
		}
		// Another file system, or no hard links: copy.
	}
	in, err := os.Open(src)
	if err != nil {
		return "", &cacheFault{err}
	}
	defer in.Close()
	out, err := os.CreateTemp(dir, prefix+"*")
	if err != nil {
		return "", err
	}
	fail := func(err error) (string, error) {
		out.Close()
		os.Remove(out.Name())
		return "", err
	}
	r := &faultReader{r: in}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), io.LimitReader(r, f.Size+1))
	if err != nil {
		if r.err != nil {
			return fail(&cacheFault{r.err})
		}
		return fail(err)
	}
	if err := check(n, h.Sum(nil), f); err != nil {
		return fail(err)
	}
	if err := out.Chmod(fs.FileMode(f.Mode)); err != nil {
		return fail(err)
	}
	if err := out.Close(); err != nil {
		os.Remove(out.Name())
		return "", err
	}
	return out.Name(), nil
}

// verifyFile hashes the file at p and compares it with f.
func verifyFile(p string, f manifestFile) error {
	in, err := os.Open(p)
	if err != nil {
		return &cacheFault{err}
	}
	defer in.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(in, f.Size+1))
	if err != nil {
		return &cacheFault{err}
	}
	return check(n, h.Sum(nil), f)
}

// check compares a file's size and sha256 with its manifest line.
func check(n int64, sum []byte, f manifestFile) error {
	if n != f.Size {
		return &cacheFault{fmt.Errorf("size %d, manifest says %d", n, f.Size)}
	}
	if got := hex.EncodeToString(sum); got != f.SHA256 {
		return &cacheFault{fmt.Errorf("sha256 %s, manifest says %s", got, f.SHA256)}
	}
	return nil
}

// faultReader remembers a read error, to tell it apart from a write error
// in io.Copy.
type faultReader struct {
	r   io.Reader
	err error
}

func (f *faultReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err != nil && err != io.EOF {
		f.err = err
	}
	return n, err
}
