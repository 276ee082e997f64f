package outdir

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
)

// The output directory is fromscratch's: a marker file says so, a lock
// keeps two runs from writing it at once, and what a killed run left
// behind is swept away before the next one writes.
const (
	MarkerFile = ".fromscratch"
	LockFile   = ".lock"
)

// checkOwned refuses an existing out/ that holds files fromscratch did not
// write and no marker. It writes nothing.
func checkOwned(out string) error {
	if _, err := os.Stat(filepath.Join(out, MarkerFile)); err == nil {
		return nil
	}
	ents, err := os.ReadDir(out)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading %s: %w", out, err)
	}
	if !onlyOwned(ents) {
		return fmt.Errorf("%s holds files fromscratch did not write and no %s marker: refusing to write there (point FROMSCRATCH_OUT at an empty or new directory)", out, MarkerFile)
	}
	return nil
}

// Claim checks out/ (refusing one that holds files fromscratch did not
// write and no marker) and writes its marker. Only the holder of out/'s
// lock calls it.
func (p Path) Claim() error {
	out := string(p)
	if err := checkOwned(out); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(out, MarkerFile)); err == nil {
		return nil
	}
	return atomicfile.Write(filepath.Join(out, MarkerFile), []byte("This directory is written by fromscratch; `fromscratch clean` (or `go tool mage clean`) removes what fromscratch wrote.\n"), 0o644)
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
	return slices.Contains(entries, name) || strings.Contains(name, TempMark)
}

// Lock takes the exclusive lock of out/, waiting (with a message naming
// the holder on log) while another run holds it, and sweeps what killed
// runs left. The returned function releases the lock.
//
// The lock file holds the holder's pid while it is held and is emptied
// on release, so a lock file that is not empty when the lock is taken
// (or a new one) says that the last holder did not finish: only then is
// out/ walked for its temporaries. A run that finished has removed its
// own, and a no-op run walks nothing.
func (p Path) Lock(log io.Writer) (func(), error) {
	out := string(p)
	if err := checkOwned(out); err != nil { // before writing anything there
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", out, err)
	}
	_, statErr := os.Stat(filepath.Join(out, LockFile))
	f, err := os.OpenFile(filepath.Join(out, LockFile), os.O_RDWR|os.O_CREATE, 0o644)
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
	if st, err := f.Stat(); statErr != nil || err != nil || st.Size() > 0 {
		sweep(out) // what a killed run left; every writer of out/ holds this lock
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte("pid "+strconv.Itoa(os.Getpid())+"\n"), 0)
	if err := p.Claim(); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = f.Truncate(0)
		f.Close() // closing releases the lock
	}, nil
}

// sweep removes the temporary files and folders a killed run left in out/
// (their names carry TempMark). Only the lock holder sweeps.
func sweep(out string) {
	var stale []string
	_ = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if p != out && strings.Contains(d.Name(), TempMark) {
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
// nothing else is left, saying what it did on log. A directory without
// fromscratch's marker is refused: nothing fromscratch did not write is
// ever deleted.
func (p Path) Clean(log io.Writer) error {
	out := string(p)
	if _, err := os.Stat(out); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(log, "clean: %s does not exist\n", out)
		return nil
	}
	if _, err := os.Stat(filepath.Join(out, MarkerFile)); err != nil {
		return fmt.Errorf("clean: %s has no %s marker, so fromscratch did not make it: refusing to delete anything there", out, MarkerFile)
	}
	unlock, err := p.Lock(log)
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
		if e.Name() == LockFile || e.Name() == MarkerFile {
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
		fmt.Fprintf(log, "clean: removed fromscratch's outputs; kept %s, which fromscratch did not write\n", strings.Join(kept, ", "))
		return nil
	}
	os.Remove(filepath.Join(out, MarkerFile))
	os.Remove(filepath.Join(out, LockFile))
	if err := os.Remove(out); err != nil {
		return fmt.Errorf("clean: %w", err)
	}
	fmt.Fprintf(log, "clean: removed %s\n", out)
	return nil
}
