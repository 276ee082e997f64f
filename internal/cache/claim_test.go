package cache

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// A second claim on a key waits until the first is released; a claim on
// another key does not; a waiting claim ends with its context.
func TestClaimWaitsForTheHolder(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	k, other := Key{1}, Key{2}
	release, err := s.Claim(t.Context(), k)
	if err != nil {
		t.Fatal(err)
	}
	relOther, err := s.Claim(t.Context(), other)
	if err != nil {
		t.Fatalf("a claim on another key waited or failed: %v", err)
	}
	relOther()

	ctx, cancel := context.WithTimeout(t.Context(), 3*claimPoll)
	defer cancel()
	if _, err := s.Claim(ctx, k); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second claim while the first is held: %v, want it to wait until its context ends", err)
	}

	got := make(chan error, 1)
	go func() {
		rel, err := s.Claim(t.Context(), k)
		if err == nil {
			rel()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("the claim was granted while held (err %v)", err)
	case <-time.After(3 * claimPoll):
	}
	release()
	if err := <-got; err != nil {
		t.Fatalf("the waiting claim after release: %v", err)
	}
}

// Prune removes claim files no one holds once they are old, and keeps a
// held one.
func TestSweepClaims(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	held, free := Key{1}, Key{2}
	release, err := s.Claim(t.Context(), held)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	r2, err := s.Claim(t.Context(), free)
	if err != nil {
		t.Fatal(err)
	}
	r2()
	old := time.Now().Add(-2 * staleTmp)
	for _, k := range []Key{held, free} {
		if err := os.Chtimes(s.claimPath(k), old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.sweepClaims(time.Now().Add(-staleTmp)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.claimPath(held)); err != nil {
		t.Errorf("the held claim was removed: %v", err)
	}
	if _, err := os.Stat(s.claimPath(free)); !os.IsNotExist(err) {
		t.Errorf("the old free claim is still there: %v", err)
	}
}
