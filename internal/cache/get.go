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

// LinkEnv names the environment variable that sets Store.Link
// (FROMSCRATCH_CACHE_LINK); internal/cli reads it, tests pass it on.
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
//
// Get is safe against other processes using the store: it reads the entry
// through a handle on its directory, so an entry removed or replaced
// meanwhile shows up as a missing or wrong file, never as a mix of two
// entries, and it removes an entry it found damaged only if the path
// still names that same directory (checked under the store lock). When
// the entry changed under it, Get tries again, a few times at most.
func (s Store) Get(k Key, dstDir string) (Entry, bool, error) {
	link := s.Link
	for attempt := 1; ; attempt++ {
		e, ok, changed, err := s.get(k, dstDir, link)
		if !changed || attempt == 3 {
			return e, ok, err
		}
	}
}

// get is one attempt of Get. changed reports a miss because the entry was
// removed or replaced while it was being read.
func (s Store) get(k Key, dstDir string, link bool) (_ Entry, ok, changed bool, _ error) {
	dir := s.entryDir(k)
	r, err := os.OpenRoot(dir)
	if err != nil {
		// Absent, or not a directory (Put replaces that), or unreadable.
		return Entry{}, false, false, nil
	}
	defer r.Close() // after any removal: keeps the inode from being reused
	seen, err := r.Stat(".")
	if err != nil {
		return Entry{}, false, false, nil
	}
	// fault removes the damaged entry if dir still names it.
	fault := func() (Entry, bool, bool, error) {
		removed, _, err := s.removeEntry(dir, func(fi fs.FileInfo) bool { return os.SameFile(fi, seen) })
		return Entry{}, false, !removed && err == nil, nil
	}
	data, err := r.ReadFile(manifestName)
	if err != nil {
		return fault()
	}
	m, err := decodeManifest(data, k)
	if err != nil {
		return fault()
	}
	if err := os.MkdirAll(dstDir, 0o755); err != nil {
		return Entry{}, false, false, fmt.Errorf("creating %s: %w", dstDir, err)
	}
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
		src := filepath.Join(filesDir, filepath.FromSlash(name))
		tmp, err := stage(r, src, filepath.Join(dstDir, filepath.FromSlash(name)), m.Files[name], link)
		if err != nil {
			if _, ok := errors.AsType[*cacheFault](err); ok {
				return fault()
			}
			return Entry{}, false, false, fmt.Errorf("restoring %s: %w", name, err)
		}
		staged = append(staged, tmp)
	}
	for i, name := range names {
		if err := os.Rename(staged[i], filepath.Join(dstDir, filepath.FromSlash(name))); err != nil {
			return Entry{}, false, false, fmt.Errorf("restoring %s: %w", name, err)
		}
		staged[i] = ""
	}
	// Record the use for Prune. Best effort: a read-only cache still hits.
	now := time.Now()
	r.Chtimes(manifestName, now, now)

	e := Entry{Files: make(map[string]string, len(m.Files)), Meta: m.Meta}
	for name, f := range m.Files {
		e.Files[name] = f.SHA256
	}
	return e, true, false, nil
}

// stage puts a verified copy (or hard link) of the cache file src (a path
// inside the entry r) next to target under a hidden temporary name and
// returns that name. Problems with src are *cacheFault.
func stage(r *os.Root, src, target string, f manifestFile, link bool) (string, error) {
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	prefix := "." + filepath.Base(target) + ".tmp-"
	if link {
		tmp := filepath.Join(dir, prefix+rand.Text())
		// os.Link needs a path, which may name another entry by now:
		// what was linked is verified against the manifest read, so it
		// is the right bytes or a fault.
		if err := os.Link(filepath.Join(r.Name(), src), tmp); err == nil {
			// tmp is the cache's inode: hash what was linked.
			if err := verifyFile(tmp, f); err != nil {
				os.Remove(tmp)
				return "", err
			}
			return tmp, nil
		}
		// Another file system, or no hard links: copy.
	}
	in, err := r.Open(src)
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
	fr := &faultReader{r: in}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), io.LimitReader(fr, f.Size+1))
	if err != nil {
		if fr.err != nil {
			return fail(&cacheFault{fr.err})
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
