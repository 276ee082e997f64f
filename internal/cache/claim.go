package cache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// claimsDir holds one lock file per key being built (Claim).
const claimsDir = "claims"

// claimPoll is how often a waiting Claim tries the lock again (and sees
// its context end).
const claimPoll = 100 * time.Millisecond

// Claim waits until no other process or goroutine holds the claim on k,
// then holds it until release. A build takes the claim of its key before
// it looks in the store and keeps it until it has stored its result, so
// two runs at once that need the same action build it once: the second
// waits, then finds the first one's entry. A claim is an flock on
// <root>/claims/<k>.lock: it ends with the process, whatever kills it.
// Waiting ends with ctx. Claims must be taken in one order (a program's
// before its libraries', as the recipes depend), never around a wait for
// a claim taken later in that order.
func (s Store) Claim(ctx context.Context, k Key) (release func(), err error) {
	p := s.claimPath(k)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		held, err := flock(f, false)
		if held || err != nil { // no locks on this file system: no waiting either
			now := time.Now()
			os.Chtimes(p, now, now) // a claim in use is never stale (sweepClaims)
			return func() { f.Close() }, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for another build of the same action: %w", ctx.Err())
		case <-time.After(claimPoll):
		}
	}
}

func (s Store) claimPath(k Key) string {
	return filepath.Join(s.root(), claimsDir, k.String()+".lock")
}

// sweepClaims removes the claim files last taken before cutoff that no
// one holds: they are empty, one per key ever built.
func (s Store) sweepClaims(cutoff time.Time) error {
	dir := filepath.Join(s.root(), claimsDir)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		fi, err := e.Info()
		if err != nil || !fi.ModTime().Before(cutoff) {
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		// Held: in use. Removed while a Claim waits on it: that Claim
		// gets a lock of its own on the old file and the two build the
		// same action at once, which the store's renames keep correct.
		if held, err := flock(f, false); held && err == nil {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		f.Close()
	}
	return errors.Join(errs...)
}
