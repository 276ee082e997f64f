// Package uptodate lets a build that would change nothing say so from file
// metadata alone, as make and ninja do: a run that left its output
// directory complete records the identity (size, mtime, ctime, device,
// inode, mode) of every file and folder it read or wrote, with a key of
// its settings, and what it would print if it ran again unchanged. The
// next run with the same key whose every recorded file still has the same
// identity replays that instead of loading recipes, hashing and reading
// images again.
//
// A file's ctime moves with every change to it (its content, its mode, a
// rename over it) and no user command sets it back, and a folder's moves
// when an entry is added, removed or renamed in it, so a recorded
// identity that still matches means the same file, and a recorded folder
// the same entries. Anything else (a file gone, another key, a damaged or
// missing record) means the run is not known to be a no-op: the caller
// then builds as usual.
package uptodate

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
)

// version changes when the record's format or meaning does: a record of
// another version is never replayed.
const version = 1

// Record is one run that left its output complete.
type Record struct {
	Version int `json:"version"`
	// Key names the run: its settings, the program that ran it and the
	// sources' revision. Only a run with the same key may replay it.
	Key string `json:"key"`
	// Files are every input and output, in the order they were recorded.
	Files []File `json:"files"`
	// Stdout and Stderr are what an unchanged run prints on each.
	Stdout string `json:"stdout,omitempty"`
	Stderr string `json:"stderr,omitempty"`
}

// File is the identity of one file or folder when it was recorded.
type File struct {
	Path    string `json:"path"`
	Mode    uint32 `json:"mode"`
	Size    int64  `json:"size"`
	MtimeNS int64  `json:"mtime_ns"`
	CtimeNS int64  `json:"ctime_ns"`
	Dev     uint64 `json:"dev"`
	Ino     uint64 `json:"ino"`
}

// Snapshot is the identity of every file and folder under each root (a
// root that is a file is itself), in walk order, less the entries skip
// names (a skipped folder is left out whole). A root that does not exist
// is recorded as missing only by its absence: callers list the roots that
// must exist.
func Snapshot(roots []string, skip func(path string) bool) ([]File, error) {
	var files []File
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if skip != nil && skip(p) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			f, err := identify(p)
			if err != nil {
				return err
			}
			files = append(files, f)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

// Unchanged reports whether every file still has the identity recorded.
// The whole matrix's out/ is thousands of files, so they are looked at
// from several goroutines, each relative to its open folder (checkAll).
func Unchanged(files []File) bool {
	n := min(runtime.NumCPU()*2, (len(files)+255)/256)
	if n <= 1 {
		return checkAll(files, nil)
	}
	var changed atomic.Bool
	var wg sync.WaitGroup
	size := (len(files) + n - 1) / n
	for part := range slices.Chunk(files, size) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !checkAll(part, &changed) {
				changed.Store(true)
			}
		}()
	}
	wg.Wait()
	return !changed.Load()
}

// Load returns the record at path if it is of this version, names key and
// every file it lists is unchanged; nil otherwise (no record, a damaged
// one, another run's, or a file changed).
func Load(path, key string) *Record {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var r Record
	if json.Unmarshal(data, &r) != nil || r.Version != version || r.Key != key || key == "" || len(r.Files) == 0 {
		return nil
	}
	if !Unchanged(r.Files) {
		return nil
	}
	return &r
}

// Save writes r at path, atomically (a reader sees the old record or
// this one, never a torn one), with this package's version.
func Save(path string, r Record) error {
	if r.Key == "" {
		return errors.New("uptodate: a record needs a key")
	}
	r.Version = version
	r.Files = slices.Clip(r.Files)
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, append(data, '\n'), 0o644)
}

// Forget removes the record at path, so that a run that changes the files
// it lists cannot be taken for a no-op even if it is killed before it
// records anything itself.
func Forget(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
