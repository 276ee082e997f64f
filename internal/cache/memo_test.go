package cache

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// forged is a digest no file has: a Digest that returns it answered from
// the memo without reading the file.
var forged = strings.Repeat("0f", 32)

// memoFixture writes a file with a fixed mtime and returns its path and
// the record that describes it.
func memoFixture(t *testing.T, content string) (string, memoRecord) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "zig")
	writeFile(t, p, []byte(content), 0o755)
	mtime := time.Unix(1704067200, 123456789)
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	id := statID(fi)
	return p, memoRecord{Size: id.size, MtimeNS: id.mtime, Dev: id.dev, Ino: id.ino, CtimeNS: id.ctime, SHA256: sha([]byte(content))}
}

func writeMemoFile(t *testing.T, path string, recs map[string]memoRecord) {
	t.Helper()
	data, err := json.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMemoTrust: a record is used only when size, mtime, device, inode
// and ctime all match the file.
func TestMemoTrust(t *testing.T) {
	p, rec := memoFixture(t, "zig 0.14.0")
	tests := []struct {
		name   string
		change func(*memoRecord)
		want   string
	}{
		{"all match", func(*memoRecord) {}, forged},
		{"size", func(r *memoRecord) { r.Size++ }, rec.SHA256},
		{"mtime", func(r *memoRecord) { r.MtimeNS++ }, rec.SHA256},
		{"device", func(r *memoRecord) { r.Dev++ }, rec.SHA256},
		{"inode", func(r *memoRecord) { r.Ino++ }, rec.SHA256},
		{"ctime", func(r *memoRecord) { r.CtimeNS++ }, rec.SHA256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rec
			r.SHA256 = forged
			tt.change(&r)
			memoPath := filepath.Join(t.TempDir(), "digests.json")
			writeMemoFile(t, memoPath, map[string]memoRecord{p: r})
			got, err := LoadMemo(memoPath).Digest(p)
			if err != nil || got != tt.want {
				t.Errorf("Digest = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

// TestMemoPersisted: what one run saves, the next uses, until the file
// changes.
func TestMemoPersisted(t *testing.T) {
	p, rec := memoFixture(t, "zig 0.14.0")
	memoPath := filepath.Join(t.TempDir(), "cache", "digests.json")
	m := LoadMemo(memoPath) // no file yet
	if got, err := m.Digest(p); err != nil || got != rec.SHA256 {
		t.Fatalf("Digest = %s, %v; want %s", got, err, rec.SHA256)
	}
	if err := m.Save(); err != nil {
		t.Fatal(err)
	}

	// The file unchanged: the next run trusts the saved record, which
	// shows it does not read the file (the record's digest is forged).
	saved := readMemoFile(memoPath)
	if saved[p] != rec {
		t.Fatalf("saved record %v, want %v", saved[p], rec)
	}
	forgedRec := rec
	forgedRec.SHA256 = forged
	writeMemoFile(t, memoPath, map[string]memoRecord{p: forgedRec})
	if got, _ := LoadMemo(memoPath).Digest(p); got != forged {
		t.Fatalf("next run's Digest = %s, want the saved record's %s", got, forged)
	}
	writeMemoFile(t, memoPath, saved)

	// Rewritten in place, with size, inode and mtime kept: the ctime
	// moved, so the file is read again.
	same := func(t *testing.T, content string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
		mtime := time.Unix(0, rec.MtimeNS)
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	same(t, "ZIG 0.14.0")
	if got, _ := LoadMemo(memoPath).Digest(p); got != sha([]byte("ZIG 0.14.0")) {
		t.Fatalf("next run's Digest = %s, want the new content's %s", got, sha([]byte("ZIG 0.14.0")))
	}

	for _, tt := range []struct {
		name    string
		content string
		change  func(t *testing.T)
	}{
		{"mtime", "zig 0.14.1", func(t *testing.T) {
			same(t, "zig 0.14.1")
			later := time.Unix(0, rec.MtimeNS).Add(time.Nanosecond)
			if err := os.Chtimes(p, later, later); err != nil {
				t.Fatal(err)
			}
		}},
		{"size", "zig 0.15.0-dev", func(t *testing.T) {
			if err := os.WriteFile(p, []byte("zig 0.15.0-dev"), 0o755); err != nil {
				t.Fatal(err)
			}
			mtime := time.Unix(0, rec.MtimeNS)
			os.Chtimes(p, mtime, mtime)
		}},
		{"inode", "zig 0.16.0", func(t *testing.T) {
			// A new file renamed over the old one, same size and mtime.
			tmp := p + ".new"
			writeFile(t, tmp, []byte("zig 0.16.0"), 0o755)
			mtime := time.Unix(0, rec.MtimeNS)
			os.Chtimes(tmp, mtime, mtime)
			if err := os.Rename(tmp, p); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := LoadMemo(memoPath)
			if _, err := m.Digest(p); err != nil { // a hit: records the current version
				t.Fatal(err)
			}
			tt.change(t)
			got, err := m.Digest(p)
			if err != nil || got != sha([]byte(tt.content)) {
				t.Fatalf("Digest after a change of %s = %s, %v; want %s", tt.name, got, err, sha([]byte(tt.content)))
			}
			if err := m.Save(); err != nil {
				t.Fatal(err)
			}
			if got, _ := LoadMemo(memoPath).Digest(p); got != sha([]byte(tt.content)) {
				t.Errorf("next run's Digest = %s, want %s", got, sha([]byte(tt.content)))
			}
		})
	}
}

// TestMemoDamaged: a memo file that cannot be used is an empty memo, and
// Save replaces it with a good one.
func TestMemoDamaged(t *testing.T) {
	p, rec := memoFixture(t, "clang 19")
	good, _ := json.Marshal(map[string]memoRecord{p: rec})
	for _, tt := range []struct {
		name string
		data string
	}{
		{"empty", ""},
		{"torn", string(good[:len(good)/2])},
		{"garbage", "\x00\x01not json"},
		{"null", "null"},
		{"array", "[1, 2]"},
		{"wrong types", fmt.Sprintf(`{%q: {"size": "big", "sha256": 7}}`, p)},
		{"bad digest", fmt.Sprintf(`{%q: {"size": %d, "mtime_ns": %d, "dev": %d, "ino": %d, "sha256": "zz"}}`,
			p, rec.Size, rec.MtimeNS, rec.Dev, rec.Ino)},
		{"relative path", fmt.Sprintf(`{"zig": {"size": %d, "mtime_ns": %d, "dev": %d, "ino": %d, "sha256": %q}}`,
			rec.Size, rec.MtimeNS, rec.Dev, rec.Ino, forged)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			memoPath := filepath.Join(t.TempDir(), "digests.json")
			if err := os.WriteFile(memoPath, []byte(tt.data), 0o644); err != nil {
				t.Fatal(err)
			}
			m := LoadMemo(memoPath)
			if got, err := m.Digest(p); err != nil || got != rec.SHA256 {
				t.Fatalf("Digest = %s, %v; want %s", got, err, rec.SHA256)
			}
			if err := m.Save(); err != nil {
				t.Fatal(err)
			}
			if recs := readMemoFile(memoPath); recs[p] != rec {
				t.Errorf("saved memo = %v, want %v", recs, rec)
			}
		})
	}
	t.Run("a directory", func(t *testing.T) {
		memoPath := t.TempDir()
		if got, err := LoadMemo(memoPath).Digest(p); err != nil || got != rec.SHA256 {
			t.Fatalf("Digest = %s, %v", got, err)
		}
	})
}

func TestMemoSave(t *testing.T) {
	p, rec := memoFixture(t, "gcc 14")
	q, rec2 := memoFixture(t, "ar 2.42")
	dir := t.TempDir()

	t.Run("in-process memo", func(t *testing.T) {
		m := NewMemo()
		if _, err := m.Digest(p); err != nil {
			t.Fatal(err)
		}
		if err := m.Save(); err != nil {
			t.Errorf("Save of an in-process memo: %v", err)
		}
	})
	t.Run("nothing computed", func(t *testing.T) {
		memoPath := filepath.Join(dir, "untouched.json")
		if err := LoadMemo(memoPath).Save(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(memoPath); !os.IsNotExist(err) {
			t.Errorf("Save without a digest wrote the file (%v)", err)
		}
	})
	t.Run("merges another process's records", func(t *testing.T) {
		memoPath := filepath.Join(dir, "digests.json")
		a, b := LoadMemo(memoPath), LoadMemo(memoPath)
		if _, err := a.Digest(p); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Digest(q); err != nil {
			t.Fatal(err)
		}
		if err := a.Save(); err != nil {
			t.Fatal(err)
		}
		if err := b.Save(); err != nil {
			t.Fatal(err)
		}
		recs := readMemoFile(memoPath)
		if recs[p] != rec || recs[q] != rec2 || len(recs) != 2 {
			t.Errorf("saved memo = %v, want records of both files", recs)
		}
	})
	t.Run("failed hash is not saved", func(t *testing.T) {
		memoPath := filepath.Join(dir, "errors.json")
		m := LoadMemo(memoPath)
		if _, err := m.Digest(filepath.Join(dir, "missing")); err == nil {
			t.Fatal("Digest of a missing file succeeded")
		}
		if _, err := m.Digest(p); err != nil {
			t.Fatal(err)
		}
		if err := m.Save(); err != nil {
			t.Fatal(err)
		}
		if recs := readMemoFile(memoPath); len(recs) != 1 {
			t.Errorf("saved memo = %v, want one record", recs)
		}
	})
}

// TestMemoConcurrent: Digest and Save from many goroutines on one memo.
func TestMemoConcurrent(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i := range 8 {
		p := filepath.Join(dir, "f"+strconv.Itoa(i))
		writeFile(t, p, []byte(strings.Repeat(strconv.Itoa(i), 1000)), 0o644)
		files = append(files, p)
	}
	memoPath := filepath.Join(dir, "digests.json")
	m := LoadMemo(memoPath)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				p := files[(g+i)%len(files)]
				got, err := m.Digest(p)
				if want := sha([]byte(strings.Repeat(p[len(p)-1:], 1000))); err != nil || got != want {
					t.Errorf("Digest(%s) = %s, %v; want %s", p, got, err, want)
				}
				if i%10 == 0 {
					if err := m.Save(); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if err := m.Save(); err != nil {
		t.Fatal(err)
	}
	if recs := readMemoFile(memoPath); len(recs) != len(files) {
		t.Errorf("saved %d records, want %d", len(recs), len(files))
	}
}

// memoWorker is a helper process of TestMemoSaveProcesses: it hashes the
// shared files and its own, saving after each, rounds times.
func memoWorker(memoPath, dir string, rounds int) []error {
	var errs []error
	for r := range rounds {
		m := LoadMemo(memoPath)
		names, err := os.ReadDir(dir)
		if err != nil {
			return []error{err}
		}
		for _, e := range names {
			p := filepath.Join(dir, e.Name())
			if _, err := m.Digest(p); err != nil {
				errs = append(errs, err)
			}
		}
		// A file of this process and round: every Save has something new.
		own := filepath.Join(dir, "..", fmt.Sprintf("own-%d-%d", os.Getpid(), r))
		if err := os.WriteFile(own, []byte(own), 0o644); err != nil {
			return append(errs, err)
		}
		if _, err := m.Digest(own); err != nil {
			errs = append(errs, err)
		}
		if err := m.Save(); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// TestMemoSaveProcesses: processes saving one memo file at once never
// leave a torn file, and lose no record.
func TestMemoSaveProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts helper processes")
	}
	base := t.TempDir()
	shared := filepath.Join(base, "shared")
	for i := range 20 {
		writeFile(t, filepath.Join(shared, "tool"+strconv.Itoa(i)), []byte(strings.Repeat("x", i*100)), 0o755)
	}
	memoPath := filepath.Join(base, "cache", "digests.json")
	const procs, rounds = 3, 15
	wait := startHelpers(t, procs, nil, func(int) []string {
		return []string{"memo", memoPath, shared, strconv.Itoa(rounds)}
	})

	// Meanwhile, whenever the file exists it must decode whole.
	stop, done := make(chan struct{}), make(chan struct{})
	var reads, torn int
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			data, err := os.ReadFile(memoPath)
			if err == nil {
				reads++
				var recs map[string]memoRecord
				if json.Unmarshal(data, &recs) != nil {
					torn++
				}
			}
			time.Sleep(time.Millisecond)
		}
	}()
	wait()
	close(stop)
	<-done
	t.Logf("%d reads of the memo file during the saves", reads)
	if torn > 0 {
		t.Errorf("%d of %d reads saw a memo file that does not decode", torn, reads)
	}

	recs := readMemoFile(memoPath)
	own, _ := filepath.Glob(filepath.Join(base, "own-*"))
	if len(own) != procs*rounds {
		t.Fatalf("%d own files, want %d", len(own), procs*rounds)
	}
	for _, p := range append(own, filepath.Join(shared, "tool7")) {
		data, _ := os.ReadFile(p)
		if recs[p].SHA256 != sha(data) {
			t.Errorf("memo has %s = %q, want %s", p, recs[p].SHA256, sha(data))
		}
	}
	if want := procs*rounds + 20; len(recs) != want {
		t.Errorf("memo has %d records, want %d", len(recs), want)
	}
}

func BenchmarkMemoDigest(b *testing.B) {
	p := filepath.Join(b.TempDir(), "cc")
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i * 13)
	}
	writeFile(b, p, data, 0o755)
	b.Run("hit", func(b *testing.B) {
		m := NewMemo()
		if _, err := m.Digest(p); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := m.Digest(p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("miss", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := NewMemo().Digest(p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestMemoDropsGoneFiles: Save forgets the files that no longer exist (a
// test's out/, a removed binary), so the memo file does not grow with
// every folder ever built in.
func TestMemoDropsGoneFiles(t *testing.T) {
	gone, _ := memoFixture(t, "a binary of a removed out/")
	kept, _ := memoFixture(t, "zig 0.14.0")
	memoPath := filepath.Join(t.TempDir(), "digests.json")
	m := LoadMemo(memoPath)
	for _, p := range []string{gone, kept} {
		if _, err := m.Digest(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Save(); err != nil {
		t.Fatal(err)
	}
	if recs := readMemoFile(memoPath); len(recs) != 2 {
		t.Fatalf("saved %d records, want 2", len(recs))
	}
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	other, _ := memoFixture(t, "something new to hash, so that Save writes")
	m = LoadMemo(memoPath)
	if _, err := m.Digest(other); err != nil {
		t.Fatal(err)
	}
	if err := m.Save(); err != nil {
		t.Fatal(err)
	}
	recs := readMemoFile(memoPath)
	if _, ok := recs[gone]; ok {
		t.Errorf("the record of %s, which is gone, was saved again", gone)
	}
	if _, ok := recs[kept]; !ok {
		t.Errorf("the record of %s was dropped", kept)
	}
	if _, ok := recs[other]; !ok {
		t.Errorf("the record of %s was not saved", other)
	}
}
