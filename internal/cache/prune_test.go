package cache

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPrune(t *testing.T) {
	now := time.Now()
	f := newFixture(t, "gcc")
	old := Inputs{Toolchain: "old"}.Key()
	recent := Inputs{Toolchain: "recent"}.Key()
	used := Inputs{Toolchain: "used"}.Key()
	for _, k := range []Key{old, recent, used} {
		if err := f.s.Put(k, f.files, f.meta); err != nil {
			t.Fatal(err)
		}
	}
	setMtime := func(p string, d time.Duration) {
		t.Helper()
		if err := os.Chtimes(p, now.Add(-d), now.Add(-d)); err != nil {
			t.Fatal(err)
		}
	}
	setMtime(filepath.Join(f.s.entryDir(old), manifestName), 48*time.Hour)
	setMtime(filepath.Join(f.s.entryDir(recent), manifestName), time.Hour)
	setMtime(filepath.Join(f.s.entryDir(used), manifestName), 48*time.Hour)
	if _, ok, err := f.s.Get(used, t.TempDir()); !ok || err != nil { // a hit refreshes it
		t.Fatalf("Get = %v, %v", ok, err)
	}
	staleTmpDir := filepath.Join(f.s.root(), tmpPrefix+"crashed")
	freshTmpDir := filepath.Join(f.s.root(), tmpPrefix+"in-progress")
	writeFile(t, filepath.Join(staleTmpDir, "x"), []byte("12345"), 0o644)
	writeFile(t, filepath.Join(freshTmpDir, "x"), []byte("12345"), 0o644)
	setMtime(staleTmpDir, 2*time.Hour)
	wantFreed := dirSize(f.s.entryDir(old)) + 5

	removed, freed, err := f.s.Prune(24*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if removed != 1 || freed != wantFreed {
		t.Errorf("Prune = %d entries, %d bytes; want 1, %d", removed, freed, wantFreed)
	}
	for k, want := range map[Key]bool{old: false, recent: true, used: true} {
		if _, err := os.Stat(f.s.entryDir(k)); (err == nil) != want {
			t.Errorf("entry %s present = %v, want %v", k, err == nil, want)
		}
	}
	if _, err := os.Stat(staleTmpDir); !os.IsNotExist(err) {
		t.Error("stale tmp directory kept")
	}
	if _, err := os.Stat(freshTmpDir); err != nil {
		t.Error("fresh tmp directory removed")
	}
	if n, _, err := f.s.Stats(); n != 2 || err != nil {
		t.Errorf("Stats after Prune = %d, %v; want 2 entries", n, err)
	}

	empty := Store{Dir: filepath.Join(t.TempDir(), "none")}
	if n, b, err := empty.Prune(0, now); n != 0 || b != 0 || err != nil {
		t.Errorf("Prune of a missing store = %d, %d, %v", n, b, err)
	}
}

func TestStatsClear(t *testing.T) {
	f := newFixture(t, "gcc")
	var content int64
	for _, b := range f.data {
		content += int64(len(b))
	}
	if n, b, err := f.s.Stats(); n != 0 || b != 0 || err != nil {
		t.Fatalf("Stats of an empty store = %d, %d, %v", n, b, err)
	}
	f.put(t)
	if err := f.s.Put(Inputs{Toolchain: "clang"}.Key(), f.files, nil); err != nil {
		t.Fatal(err)
	}
	n, b, err := f.s.Stats()
	if err != nil || n != 2 || b <= 2*content {
		t.Errorf("Stats = %d, %d, %v; want 2 entries and more than %d bytes", n, b, err, 2*content)
	}
	if err := f.s.Clear(); err != nil {
		t.Fatal(err)
	}
	if n, b, err := f.s.Stats(); n != 0 || b != 0 || err != nil {
		t.Errorf("Stats after Clear = %d, %d, %v", n, b, err)
	}
	if _, ok, err := f.s.Get(f.k, t.TempDir()); ok || err != nil {
		t.Errorf("Get after Clear = %v, %v; want a miss", ok, err)
	}
	f.put(t)
	f.getHit(t)
	if err := (Store{Dir: filepath.Join(t.TempDir(), "none")}).Clear(); err != nil {
		t.Errorf("Clear of a missing store: %v", err)
	}
}

func BenchmarkGetHit(b *testing.B) {
	s := Store{Dir: b.TempDir()}
	k := Inputs{Toolchain: "bench"}.Key()
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i*31 + i>>8)
	}
	src := filepath.Join(b.TempDir(), "hello")
	writeFile(b, src, data, 0o755)
	if err := s.Put(k, map[string]string{"hello": src}, map[string]string{"size": "1048576"}); err != nil {
		b.Fatal(err)
	}
	dst := b.TempDir()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, ok, err := s.Get(k, dst); !ok || err != nil {
			b.Fatalf("Get = %v, %v", ok, err)
		}
	}
}
