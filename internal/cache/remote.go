package cache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// Remote is a store of entries shared between machines, such as an OCI
// registry (internal/cli adapts internal/image's files artifacts to it,
// one per key, the way BuildKit's registry cache works). A Remote is not
// trusted: ReadThrough puts what it returns into the local Store, whose
// Get verifies it again.
type Remote interface {
	// Get downloads the entry for k into dir and returns its files (output
	// name -> path in dir), each checked against the digest the entry
	// recorded for it. ok is false when the remote has no entry for k. An
	// entry that is there but damaged is an error wrapping ErrCorrupt.
	Get(ctx context.Context, k Key, dir string) (files map[string]string, ok bool, err error)
	// Put uploads files (output name -> host path) as the entry for k.
	Put(ctx context.Context, k Key, files map[string]string) error
}

// ErrCorrupt is wrapped by a Remote's error for an entry whose content
// does not match its recorded digests.
var ErrCorrupt = errors.New("corrupt remote cache entry")

// ReadThrough is the local Store in front of a Remote. Get looks in the
// Store first, then in the Remote; a remote hit is put into the Store and
// restored from there, so it is verified twice. Put writes to the Store
// and then to the Remote.
//
// The Remote can never fail a build. The first time it cannot be used
// (down, unauthorized, refusing writes) Warn hears it once, and the
// ReadThrough stops asking it: a failed Get turns reads and writes off, a
// failed Put turns writes off. A corrupt remote entry is a miss (the cell
// is rebuilt) and a warning of its own.
type ReadThrough struct {
	Store  Store
	Remote Remote      // nil: the Store alone
	Warn   func(error) // nil: silent

	noReads, noWrites atomic.Bool
	warnOnce          sync.Once
}

// Get restores the entry for k into dstDir like Store.Get, looking in the
// Remote on a local miss.
func (s *ReadThrough) Get(ctx context.Context, k Key, dstDir string) (Entry, bool, error) {
	e, ok, err := s.Store.Get(k, dstDir)
	if ok || err != nil || s.Remote == nil || s.noReads.Load() {
		return e, ok, err
	}
	if !s.fetch(ctx, k) {
		return Entry{}, false, nil
	}
	return s.Store.Get(k, dstDir)
}

// fetch puts the Remote's entry for k into the Store and reports whether
// it did.
func (s *ReadThrough) fetch(ctx context.Context, k Key) bool {
	if err := os.MkdirAll(s.Store.root(), 0o755); err != nil {
		return false
	}
	tmp, unlock, err := s.Store.tempDir(tmpPrefix + "remote-")
	if err != nil {
		return false
	}
	defer func() {
		os.RemoveAll(tmp)
		unlock()
	}()
	files, ok, err := s.Remote.Get(ctx, k, tmp)
	switch {
	case ctx.Err() != nil:
		return false // cancelled: not the remote's fault
	case errors.Is(err, ErrCorrupt):
		s.warn(fmt.Errorf("remote cache entry %s rejected, building instead: %w", k, err))
		return false
	case err != nil:
		s.noReads.Store(true)
		s.noWrites.Store(true)
		s.warnFirst(fmt.Errorf("remote cache unavailable, building without it: %w", err))
		return false
	case !ok:
		return false
	}
	if err := s.Store.Put(k, files, map[string]string{"origin": "remote"}); err != nil {
		s.warn(fmt.Errorf("storing remote cache entry %s: %w", k, err))
		return false
	}
	return true
}

// Put stores files and meta under k in the Store, then uploads the files
// to the Remote. Only the Store's error is returned.
func (s *ReadThrough) Put(ctx context.Context, k Key, files map[string]string, meta map[string]string) error {
	if err := s.Store.Put(k, files, meta); err != nil {
		return err
	}
	if s.Remote == nil || s.noWrites.Load() {
		return nil
	}
	if err := s.Remote.Put(ctx, k, files); err != nil && ctx.Err() == nil {
		s.noWrites.Store(true)
		s.warnFirst(fmt.Errorf("remote cache refused entry %s, keeping entries local: %w", k, err))
	}
	return nil
}

// warnFirst warns about the first failure of the Remote only.
func (s *ReadThrough) warnFirst(err error) { s.warnOnce.Do(func() { s.warn(err) }) }

func (s *ReadThrough) warn(err error) {
	if s.Warn != nil {
		s.Warn(err)
	}
}
