package cache

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// staleTmp is the age after which Prune removes a tmp-* directory whatever
// maxAge is: a younger one may belong to a Put in progress.
const staleTmp = time.Hour

// Prune removes the entries last used (the manifest's mtime, which Get
// sets on a hit) before now-maxAge, and tmp-* directories older than an
// hour. It returns the number of entries removed and the bytes freed by
// entries and tmp directories together. It continues past a failed
// removal and returns the failures joined.
func (s Store) Prune(maxAge time.Duration, now time.Time) (removed int, freed int64, err error) {
	root := s.root()
	top, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("pruning cache: %w", err)
	}
	cutoff := now.Add(-maxAge)
	var errs []error
	for _, d := range top {
		p := filepath.Join(root, d.Name())
		switch {
		case strings.HasPrefix(d.Name(), tmpPrefix):
			fi, err := d.Info()
			if err != nil || !fi.ModTime().Before(now.Add(-staleTmp)) {
				continue
			}
			n := dirSize(p)
			if err := os.RemoveAll(p); err != nil {
				errs = append(errs, fmt.Errorf("removing %s: %w", p, err))
				continue
			}
			freed += n
		case isHexDir(d, 2):
			entries, err := os.ReadDir(p)
			if err != nil {
				errs = append(errs, fmt.Errorf("pruning %s: %w", p, err))
				continue
			}
			for _, e := range entries {
				ep := filepath.Join(p, e.Name())
				if !isHexDir(e, 2*len(Key{})) || !lastUsed(ep).Before(cutoff) {
					continue
				}
				n := dirSize(ep)
				if err := s.discard(ep); err != nil {
					if !errors.Is(err, fs.ErrNotExist) {
						errs = append(errs, fmt.Errorf("removing %s: %w", ep, err))
					}
					continue
				}
				removed++
				freed += n
			}
			os.Remove(p) // only succeeds if the shard is now empty
		}
	}
	if len(errs) > 0 {
		return removed, freed, fmt.Errorf("pruning cache: %w", errors.Join(errs...))
	}
	return removed, freed, nil
}

// lastUsed is the mtime of the entry's manifest, or of the entry
// directory if the manifest is missing (such an entry is damaged and is
// pruned like an unused one).
func lastUsed(entry string) time.Time {
	if fi, err := os.Stat(filepath.Join(entry, manifestName)); err == nil {
		return fi.ModTime()
	}
	if fi, err := os.Stat(entry); err == nil {
		return fi.ModTime()
	}
	return time.Time{}
}

// Clear removes every entry. The layout directory is renamed away first,
// so concurrent readers see an empty cache, not a partial one.
func (s Store) Clear() error {
	root := s.root()
	if _, err := os.Lstat(root); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	trash, err := os.MkdirTemp(s.Dir, "."+layoutVersion+"-clear-")
	if err != nil {
		return fmt.Errorf("clearing cache: %w", err)
	}
	if err := os.Rename(root, filepath.Join(trash, layoutVersion)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		os.Remove(trash)
		return fmt.Errorf("clearing cache: %w", err)
	}
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("clearing cache: %w", err)
	}
	return nil
}

// Stats counts the entries and the bytes of their files, manifests
// included. Directories being written or removed are not counted.
func (s Store) Stats() (entries int, bytes int64, err error) {
	root := s.root()
	top, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("reading cache: %w", err)
	}
	for _, d := range top {
		if !isHexDir(d, 2) {
			continue
		}
		p := filepath.Join(root, d.Name())
		keys, err := os.ReadDir(p)
		if err != nil {
			return 0, 0, fmt.Errorf("reading cache: %w", err)
		}
		for _, e := range keys {
			if isHexDir(e, 2*len(Key{})) {
				entries++
				bytes += dirSize(filepath.Join(p, e.Name()))
			}
		}
	}
	return entries, bytes, nil
}

// isHexDir reports whether d is a directory named by n hex digits.
func isHexDir(d fs.DirEntry, n int) bool {
	if !d.IsDir() || len(d.Name()) != n {
		return false
	}
	_, err := hex.DecodeString(d.Name())
	return err == nil
}

// dirSize sums the sizes of the regular files under dir, skipping what it
// cannot read (a concurrent removal).
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
