package cache

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The tests below pin, one at a time and without timing, the rules that
// keep a store shared by several processes safe; stress_test.go runs them
// all at once.

func TestPutReplacesDamagedEntry(t *testing.T) {
	f := newFixture(t, "gcc")
	f.put(t)
	rewrite(t, filepath.Join(f.s.entryDir(f.k), manifestName), []byte("{torn"))
	f.put(t) // the damaged entry is replaced, not kept
	f.getHit(t)
	leftTmp(t, f.s)
}

func TestPutKeepsUsableEntry(t *testing.T) {
	f := newFixture(t, "gcc")
	f.put(t)
	before, err := os.Stat(f.s.entryDir(f.k))
	if err != nil {
		t.Fatal(err)
	}
	f.put(t)
	after, err := os.Stat(f.s.entryDir(f.k))
	if err != nil || !os.SameFile(before, after) {
		t.Errorf("a second Put replaced a usable entry (%v)", err)
	}
	leftTmp(t, f.s)
}

// TestRemoveOnlyWhatWasSeen is a Get that found entry A damaged while
// another process removed A and published B for the same key: Get must
// not remove B.
func TestRemoveOnlyWhatWasSeen(t *testing.T) {
	f := newFixture(t, "gcc")
	f.put(t)
	dir := f.s.entryDir(f.k)
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	seenA, err := r.Stat(".")
	if err != nil {
		t.Fatal(err)
	}
	same := func(fi os.FileInfo) bool { return os.SameFile(fi, seenA) }

	if removed, _, err := f.s.removeEntry(dir, func(os.FileInfo) bool { return true }); !removed || err != nil {
		t.Fatalf("removing A = %v, %v", removed, err)
	}
	f.put(t) // B
	if removed, _, err := f.s.removeEntry(dir, same); removed || err != nil {
		t.Fatalf("removeEntry removed B in place of A (%v)", err)
	}
	f.getHit(t)
	if removed, _, err := f.s.removeEntry(filepath.Join(f.s.root(), "00", "missing"), same); removed || err != nil {
		t.Errorf("removing a missing entry = %v, %v; want false, nil", removed, err)
	}
}

// TestSweepSkipsLockedTmp: a Put that has been writing for more than an
// hour keeps its temporary directory through Prune and Clear.
func TestSweepSkipsLockedTmp(t *testing.T) {
	f := newFixture(t, "gcc")
	if err := os.MkdirAll(f.s.root(), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, unlock, err := f.s.tempDir(tmpPrefix)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(tmp, "files", "x"), []byte("12345"), 0o644)
	old := time.Now().Add(-2 * staleTmp)
	if err := os.Chtimes(tmp, old, old); err != nil {
		t.Fatal(err)
	}
	if _, freed, err := f.s.Prune(0, time.Now()); err != nil || freed != 0 {
		t.Fatalf("Prune = %d bytes, %v", freed, err)
	}
	if err := f.s.Clear(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(tmp, "files", "x")); err != nil {
		t.Fatalf("a locked tmp directory was removed: %v", err)
	}
	unlock()
	if _, freed, err := f.s.Prune(0, time.Now()); err != nil || freed != 5 {
		t.Fatalf("Prune after unlock = %d bytes, %v; want 5", freed, err)
	}
	leftTmp(t, f.s)
}

// TestClearKeepsLayout: Clear removes entries one by one and leaves the
// layout directory and its lock, so Puts running meanwhile keep working.
func TestClearKeepsLayout(t *testing.T) {
	f := newFixture(t, "gcc")
	f.put(t)
	tmp, unlock, err := f.s.tempDir(tmpPrefix)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if err := f.s.Clear(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Errorf("Clear removed a Put's fresh tmp directory: %v", err)
	}
	if n, _, err := f.s.Stats(); n != 0 || err != nil {
		t.Errorf("Stats after Clear = %d, %v", n, err)
	}
}

// leftTmp fails if a tmp-* directory is left in the store.
func leftTmp(t *testing.T, s Store) {
	t.Helper()
	top, _ := os.ReadDir(s.root())
	for _, d := range top {
		if strings.HasPrefix(d.Name(), tmpPrefix) {
			t.Errorf("%s left behind", d.Name())
		}
	}
}
