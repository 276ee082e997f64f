package cache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// mapRemote is a Remote in memory; getErr and putErr make it fail.
type mapRemote struct {
	mu             sync.Mutex
	entries        map[Key]map[string][]byte
	gets, puts     int
	getErr, putErr error
}

func (m *mapRemote) Get(_ context.Context, k Key, dir string) (map[string]string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gets++
	if m.getErr != nil {
		return nil, false, m.getErr
	}
	e, ok := m.entries[k]
	if !ok {
		return nil, false, nil
	}
	files := map[string]string{}
	for n, b := range e {
		p := filepath.Join(dir, filepath.FromSlash(n))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o755); err != nil {
			return nil, false, err
		}
		files[n] = p
	}
	return files, true, nil
}

func (m *mapRemote) Put(_ context.Context, k Key, files map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.puts++
	if m.putErr != nil {
		return m.putErr
	}
	e := map[string][]byte{}
	for n, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		e[n] = b
	}
	if m.entries == nil {
		m.entries = map[Key]map[string][]byte{}
	}
	m.entries[k] = e
	return nil
}

// warnings collects what a ReadThrough warns about.
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) add(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, err.Error())
}

func keyOf(i int) Key { return Inputs{Toolchain: fmt.Sprint("t", i)}.Key() }

// outputs writes a program and its log into a fresh directory.
func outputs(t *testing.T, i int) map[string]string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"hello": filepath.Join(dir, "hello"), "build.log": filepath.Join(dir, "build.log")}
	os.WriteFile(files["hello"], []byte(fmt.Sprint("program ", i)), 0o755)
	os.WriteFile(files["build.log"], []byte("log\n"), 0o644)
	return files
}

// One machine's Put reaches another machine's Get through the Remote; the
// hit lands in the second machine's Store.
func TestReadThroughSharesEntries(t *testing.T) {
	ctx := t.Context()
	remote := &mapRemote{}
	var w warnings
	a := &ReadThrough{Store: Store{Dir: t.TempDir()}, Remote: remote, Warn: w.add}
	b := &ReadThrough{Store: Store{Dir: t.TempDir()}, Remote: remote, Warn: w.add}
	k := keyOf(1)
	if err := a.Put(ctx, k, outputs(t, 1), map[string]string{"cell": "x"}); err != nil {
		t.Fatal(err)
	}
	if remote.puts != 1 {
		t.Fatalf("Put reached the remote %d times, want 1", remote.puts)
	}
	dst := t.TempDir()
	e, ok, err := b.Get(ctx, k, dst)
	if err != nil || !ok {
		t.Fatalf("Get through the remote: ok %v, %v", ok, err)
	}
	got, _ := os.ReadFile(filepath.Join(dst, "hello"))
	if string(got) != "program 1" || e.Files["hello"] == "" {
		t.Fatalf("restored %q (entry %v), want %q", got, e.Files, "program 1")
	}
	if fi, _ := os.Stat(filepath.Join(dst, "hello")); fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("restored program has mode %v, want it executable", fi.Mode())
	}
	if _, ok, _ := b.Store.Get(k, t.TempDir()); !ok {
		t.Error("the remote hit was not put into the local store")
	}
	gets := remote.gets
	if _, ok, _ := b.Get(ctx, k, t.TempDir()); !ok || remote.gets != gets {
		t.Errorf("a local hit asked the remote (%d gets, was %d)", remote.gets, gets)
	}
	if _, ok, _ := b.Get(ctx, keyOf(2), t.TempDir()); ok {
		t.Error("a key nobody stored was a hit")
	}
	if len(w.list) != 0 {
		t.Errorf("warnings: %q", w.list)
	}
}

// A remote that is down costs one warning, whatever the number of cells,
// and is not asked again; every Put still lands in the local store.
func TestReadThroughRemoteDown(t *testing.T) {
	ctx := t.Context()
	remote := &mapRemote{getErr: errors.New("dial tcp 127.0.0.1:1: connection refused"), putErr: errors.New("dial tcp: connection refused")}
	var w warnings
	s := &ReadThrough{Store: Store{Dir: t.TempDir()}, Remote: remote, Warn: w.add}
	for i := range 10 {
		if _, ok, err := s.Get(ctx, keyOf(i), t.TempDir()); ok || err != nil {
			t.Fatalf("Get %d: ok %v, %v; want a miss", i, ok, err)
		}
		if err := s.Put(ctx, keyOf(i), outputs(t, i), nil); err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
		if _, ok, _ := s.Get(ctx, keyOf(i), t.TempDir()); !ok {
			t.Fatalf("entry %d is not in the local store", i)
		}
	}
	if len(w.list) != 1 || !strings.Contains(w.list[0], "connection refused") {
		t.Fatalf("warnings %q, want one naming the failure", w.list)
	}
	if remote.gets != 1 || remote.puts != 0 {
		t.Errorf("the remote was asked %d gets and %d puts after failing, want 1 and 0", remote.gets, remote.puts)
	}
}

// A remote that refuses writes costs one warning and is still read.
func TestReadThroughRemoteRefusesWrites(t *testing.T) {
	ctx := t.Context()
	remote := &mapRemote{putErr: errors.New("401 Unauthorized")}
	var w warnings
	s := &ReadThrough{Store: Store{Dir: t.TempDir()}, Remote: remote, Warn: w.add}
	for i := range 5 {
		s.Get(ctx, keyOf(i), t.TempDir())
		if err := s.Put(ctx, keyOf(i), outputs(t, i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if len(w.list) != 1 || !strings.Contains(w.list[0], "401") {
		t.Fatalf("warnings %q, want one naming the 401", w.list)
	}
	if remote.gets != 5 || remote.puts != 1 {
		t.Errorf("remote saw %d gets and %d puts, want 5 and 1", remote.gets, remote.puts)
	}
}

// A corrupt remote entry is a miss with a warning, and the remote stays
// in use.
func TestReadThroughCorruptRemoteEntry(t *testing.T) {
	ctx := t.Context()
	remote := &mapRemote{getErr: fmt.Errorf("%w: blob sha256:ab has sha256 cd", ErrCorrupt)}
	var w warnings
	s := &ReadThrough{Store: Store{Dir: t.TempDir()}, Remote: remote, Warn: w.add}
	for i := range 2 {
		if _, ok, err := s.Get(ctx, keyOf(i), t.TempDir()); ok || err != nil {
			t.Fatalf("Get of a corrupt entry: ok %v, %v; want a miss", ok, err)
		}
	}
	if remote.gets != 2 || len(w.list) != 2 || !strings.Contains(w.list[0], keyOf(0).String()) {
		t.Fatalf("%d gets, warnings %q; want 2 gets and a warning per entry naming its key", remote.gets, w.list)
	}
}
