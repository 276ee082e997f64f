package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// memRemote is a cache.Remote in memory; err makes every call fail.
type memRemote struct {
	mu      sync.Mutex
	entries map[cache.Key]map[string][]byte
	err     error
}

func (m *memRemote) Get(_ context.Context, k cache.Key, dir string) (map[string]string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, false, m.err
	}
	e, ok := m.entries[k]
	if !ok {
		return nil, false, nil
	}
	files := map[string]string{}
	for n, b := range e {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, b, 0o755); err != nil {
			return nil, false, err
		}
		files[n] = p
	}
	return files, true, nil
}

func (m *memRemote) Put(_ context.Context, k cache.Key, files map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
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
		m.entries = map[cache.Key]map[string][]byte{}
	}
	m.entries[k] = e
	return nil
}

// A cell compiled on one machine is restored from the remote cache on
// another, without compiling; a remote that is down costs a warning and
// the cell compiles.
func TestRemoteCache(t *testing.T) {
	cfg, j, fake := fakeJob(t, recipe.Static)
	calls := 0
	counting := func(ctx context.Context, c toolchain.Command, env []string) ([]byte, error) {
		calls++
		return fake(ctx, c, env)
	}
	remote := &memRemote{}
	var warned []error
	warn := func(err error) { warned = append(warned, err) }
	machine := func(remote cache.Remote) *Result {
		t.Helper()
		c := cfg
		c.CacheDir, c.OutDir = t.TempDir(), filepath.Join(t.TempDir(), "out")
		r := New(c, WithRunner(counting), WithRemoteCache(remote, warn)).runCell(t.Context(), j)
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		return r
	}
	first := machine(remote)
	if first.Origin != OriginCompiled || len(remote.entries) != 1 {
		t.Fatalf("first machine: binary %s, %d remote entries; want compiled and 1", first.Origin, len(remote.entries))
	}
	before := calls
	second := machine(remote)
	if second.Origin != OriginRestored || calls != before || second.Digest != first.Digest {
		t.Fatalf("second machine: binary %s after %d compiler calls, digest %s; want restored, none, %s",
			second.Origin, calls-before, second.Digest, first.Digest)
	}
	down := machine(&memRemote{err: errors.New("dial tcp 127.0.0.1:1: connect: connection refused")})
	if down.Origin != OriginCompiled || down.Digest != first.Digest {
		t.Fatalf("with the remote down: binary %s, digest %s; want compiled, %s", down.Origin, down.Digest, first.Digest)
	}
	if len(warned) != 1 {
		t.Fatalf("warnings %v, want one (the remote is down)", warned)
	}
}
