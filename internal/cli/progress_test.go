package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// A warning during a run (the registry cache failing) gets a line of its
// own: on a terminal the live line is cleared first and drawn again below
// it; elsewhere it is one plain line.
func TestProgressWarnings(t *testing.T) {
	cfg := Config{RemoteCache: "127.0.0.1:1/cache"}
	var tty bytes.Buffer
	p := newProgress(&tty, true, false)
	p.Phase("build", 2)
	p.Start("hello linux/amd64 gcc-static")
	tty.Reset()
	remoteWarn(cfg, warner(nil, p))(errors.New("connection refused"))
	got := tty.String()
	want := "\r\033[Kwarning: FROMSCRATCH_REMOTE_CACHE=127.0.0.1:1/cache: connection refused\n\r\033[Kbuild [0/2] 0 failed"
	if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "hello linux/amd64 gcc-static") {
		t.Errorf("on a terminal: %q, want the live line cleared, the warning on its own line, then the live line again", got)
	}

	var ci bytes.Buffer
	q := newProgress(&ci, false, false)
	q.Phase("build", 4)
	q.Start("a")
	remoteWarn(cfg, warner(nil, q))(errors.New("connection refused"))
	if got, want := ci.String(), "warning: FROMSCRATCH_REMOTE_CACHE=127.0.0.1:1/cache: connection refused\n"; got != want {
		t.Errorf("in CI: %q, want %q (one plain line, no progress line drawn for it)", got, want)
	}

	var plain bytes.Buffer
	remoteWarn(cfg, warner(&plain, nil))(errors.New("x"))
	if plain.String() != "warning: FROMSCRATCH_REMOTE_CACHE=127.0.0.1:1/cache: x\n" {
		t.Errorf("without a progress: %q", plain.String())
	}

}
