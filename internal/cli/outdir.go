package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/shard"
)

// The output directory is fromscratch's: a marker file says so, a lock
// keeps two runs from writing it at once, and what a killed run left
// behind is swept away before the next one writes.
const (
	markerFile = ".fromscratch"
	lockFile   = ".lock"
)

// ownedEntries are the names fromscratch writes directly in out/.
var ownedEntries = []string{"bin", "docker", "oci", "wrap", "release", "repro",
	"matrix.json", "matrix.csv", "matrix.md", "matrix.svg", shard.ManifestFile, lockFile, markerFile}

// checkOwned refuses an existing out/ that holds files fromscratch did not
// write and no marker. It writes nothing.
func checkOwned(out string) error {
	if _, err := os.Stat(filepath.Join(out, markerFile)); err == nil {
		return nil
	}
	ents, err := os.ReadDir(out)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading %s: %w", out, err)
	}
	if !onlyOwned(ents) {
		return fmt.Errorf("%s holds files fromscratch did not write and no %s marker: refusing to write there (point FROMSCRATCH_OUT at an empty or new directory)", out, markerFile)
	}
	return nil
}

// claimOut checks out/ (checkOwned) and writes its marker. Only the holder
// of out/'s lock calls it.
func claimOut(out string) error {
	if err := checkOwned(out); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(out, markerFile)); err == nil {
		return nil
	}
	return atomicfile.Write(filepath.Join(out, markerFile), []byte("This directory is written by fromscratch; `go tool mage clean` removes what fromscratch wrote.\n"), 0o644)
}

func onlyOwned(ents []os.DirEntry) bool {
	for _, e := range ents {
		if !owned(e.Name()) {
			return false
		}
	}
	return true
}

func owned(name string) bool {
	for _, o := range ownedEntries {
		if name == o {
			return true
		}
	}
	return strings.Contains(name, pipeline.TempMark)
}

// lockOut takes the exclusive lock of out/, waiting (with a message naming
// the holder) while another run holds it, and sweeps what killed runs
// left. The returned function releases the lock.
func lockOut(out string, log io.Writer) (func(), error) {
	if err := checkOwned(out); err != nil { // before writing anything there
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", out, err)
	}
	f, err := os.OpenFile(filepath.Join(out, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the lock of %s: %w", out, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(f.Name())
		fmt.Fprintf(log, "waiting for %s: another fromscratch run (%s) is writing it\n", out, strings.TrimSpace(string(holder)))
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", out, err)
		}
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte("pid "+strconv.Itoa(os.Getpid())+"\n"), 0)
	sweep(out) // what killed runs left; every writer of out/ holds this lock
	if err := claimOut(out); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = f.Truncate(0)
		f.Close() // closing releases the lock
	}, nil
}

// sweep removes the temporary files and folders a killed run left in out/
// (their names carry pipeline.TempMark). Only the lock holder sweeps.
func sweep(out string) {
	var stale []string
	_ = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if p != out && strings.Contains(d.Name(), pipeline.TempMark) {
			stale = append(stale, p)
			if d.IsDir() {
				return filepath.SkipDir
			}
		}
		return nil
	})
	for _, p := range stale {
		os.RemoveAll(p)
	}
}

// Clean removes what fromscratch wrote in out/, and out/ itself when
// nothing else is left. A directory without fromscratch's marker is
// refused: nothing fromscratch did not write is ever deleted.
func (c *CLI) Clean() error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	out := cfg.OutDir
	if _, err := os.Stat(out); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(c.out, "clean: %s does not exist\n", out)
		return nil
	}
	if _, err := os.Stat(filepath.Join(out, markerFile)); err != nil {
		return fmt.Errorf("clean: %s has no %s marker, so fromscratch did not make it: refusing to delete anything there", out, markerFile)
	}
	unlock, err := lockOut(out, c.out)
	if err != nil {
		return err
	}
	defer unlock()
	ents, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	var kept []string
	for _, e := range ents {
		if e.Name() == lockFile || e.Name() == markerFile {
			continue
		}
		if !owned(e.Name()) {
			kept = append(kept, e.Name())
			continue
		}
		if err := os.RemoveAll(filepath.Join(out, e.Name())); err != nil {
			return fmt.Errorf("clean: %w", err)
		}
	}
	if len(kept) > 0 {
		fmt.Fprintf(c.out, "clean: removed fromscratch's outputs; kept %s, which fromscratch did not write\n", strings.Join(kept, ", "))
		return nil
	}
	os.Remove(filepath.Join(out, markerFile))
	os.Remove(filepath.Join(out, lockFile))
	if err := os.Remove(out); err != nil {
		return fmt.Errorf("clean: %w", err)
	}
	fmt.Fprintf(c.out, "clean: removed %s\n", out)
	return nil
}
