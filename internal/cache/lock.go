package cache

import (
	"os"
	"path/filepath"
)

// lockFile opens (creating it if needed) the file at path and locks it
// exclusively, waiting as long as it takes. The returned function
// releases the lock. A file system without locks (flock fails with
// something else than "held elsewhere") gives an unlocked but usable
// result: callers stay correct through renames, only less tidy.
func lockFile(path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	flock(f, true) // see above: an error means no locking, not no progress
	return func() { f.Close() }, nil
}

// tryLockDir locks the directory dir exclusively without waiting. ok is
// false when another open file holds the lock, or dir cannot be opened
// (it was removed meanwhile).
func tryLockDir(dir string) (unlock func(), ok bool) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, false
	}
	if held, err := flock(f, false); !held && err == nil {
		f.Close()
		return nil, false
	}
	return func() { f.Close() }, true
}

// lockDir locks the directory dir exclusively, waiting if needed.
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	flock(f, true)
	return func() { f.Close() }, nil
}
