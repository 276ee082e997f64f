package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
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

func TestStatusLineFitsTheTerminal(t *testing.T) {
	running := map[string]time.Time{
		"zz linux/riscv64 zig-dynamic": {}, "aa linux/amd64 gcc-static": {}, "mm linux/arm/v7 musl-gcc-static": {},
	}
	for _, width := range []int{40, 80, 200} {
		line := statusLine("build", 12, 97, 1, 65*time.Second, running, width)
		if n := len([]rune(line)); n > width-1 {
			t.Errorf("width %d: line of %d columns: %q", width, n, line)
		}
		if !strings.Contains(line, "1m5s") || !strings.HasPrefix(line, "build [12/97]") {
			t.Errorf("width %d: no counts or timer: %q", width, line)
		}
	}
	wide := statusLine("build", 0, 3, 0, 0, running, 200)
	if a, z := strings.Index(wide, "aa "), strings.Index(wide, "zz "); a < 0 || z < a {
		t.Errorf("running cells not in order: %q", wide)
	}
}
