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

// staleTmp is the age after which Prune and Clear remove a tmp-*
// directory that no one holds locked: a Put in progress holds its own, and
// a younger unlocked one may be a Put that has not taken its lock yet, or
// an entry being removed.
const staleTmp = time.Hour

// Prune removes the entries last used (the manifest's mtime, which Get
// sets on a hit) before now-maxAge, and tmp-* directories older than an
// hour that no Put holds. It returns the number of entries removed and the
// bytes freed by entries and tmp directories together. It continues past a
// failed removal and returns the failures joined. Entries and directories
// that other processes remove meanwhile are not failures.
func (s Store) Prune(maxAge time.Duration, now time.Time) (removed int, freed int64, err error) {
	cutoff := now.Add(-maxAge)
	removed, freed, err = s.sweep(func(used time.Time) bool { return used.Before(cutoff) }, now)
	if err != nil {
		return removed, freed, fmt.Errorf("pruning cache: %w", err)
	}
	return removed, freed, nil
}

// Clear removes every entry, and the tmp-* directories Prune would remove.
// Each entry is removed whole (see removeEntry), so a concurrent Get sees
// an entry or none, and a concurrent Put is neither disturbed nor undone:
// its entry is either removed or published after Clear passed it.
func (s Store) Clear() error {
	if _, _, err := s.sweep(func(time.Time) bool { return true }, time.Now()); err != nil {
		return fmt.Errorf("clearing cache: %w", err)
	}
	return nil
}

// sweep removes the entries whose last use expired reports, and the stale
// unlocked tmp-* directories; see Prune.
func (s Store) sweep(expired func(lastUsed time.Time) bool, now time.Time) (removed int, freed int64, err error) {
	root := s.root()
	top, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	var errs []error
	for _, d := range top {
		p := filepath.Join(root, d.Name())
		switch {
		case strings.HasPrefix(d.Name(), tmpPrefix):
			n, err := removeStaleTmp(p, now.Add(-staleTmp))
			if err != nil {
				errs = append(errs, fmt.Errorf("removing %s: %w", p, err))
			}
			freed += n
		case isHexDir(d, 2):
			entries, err := os.ReadDir(p)
			if errors.Is(err, fs.ErrNotExist) {
				continue // another Prune removed the empty shard
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			gone := 0
			for _, e := range entries {
				ep := filepath.Join(p, e.Name())
				if !isHexDir(e, 2*len(Key{})) || !expired(lastUsed(ep)) {
					continue
				}
				// Checked again under the lock: a Get may have used it,
				// or a Put replaced it, since.
				ok, n, err := s.removeEntry(ep, func(fs.FileInfo) bool { return expired(lastUsed(ep)) })
				if err != nil {
					errs = append(errs, fmt.Errorf("removing %s: %w", ep, err))
					continue
				}
				if ok {
					removed++
					freed += n
					gone++
				}
			}
			if gone == len(entries) {
				s.removeShard(p)
			}
		}
	}
	if err := s.sweepClaims(now.Add(-staleTmp)); err != nil {
		errs = append(errs, fmt.Errorf("removing old claims: %w", err))
	}
	return removed, freed, errors.Join(errs...)
}

// removeStaleTmp removes the tmp-* directory p if it is older than cutoff
// and no one holds its lock, and returns the bytes freed.
func removeStaleTmp(p string, cutoff time.Time) (int64, error) {
	fi, err := os.Lstat(p)
	if err != nil || !fi.ModTime().Before(cutoff) {
		return 0, nil
	}
	if !fi.IsDir() {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, err
		}
		return fi.Size(), nil
	}
	unlock, ok := tryLockDir(p)
	if !ok {
		return 0, nil // in use, or removed by another Prune meanwhile
	}
	defer unlock()
	n := dirSize(p)
	if err := os.RemoveAll(p); err != nil {
		return 0, err
	}
	return n, nil
}

// removeShard removes the shard directory p if it is empty, under the
// store lock so that a Put never renames into a shard being removed.
func (s Store) removeShard(p string) {
	unlock, err := s.lock()
	if err != nil {
		return
	}
	os.Remove(p) // only succeeds if the shard is empty
	unlock()
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
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed by Prune meanwhile
		}
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
