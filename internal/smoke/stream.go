package smoke

import (
	"bytes"
	"fmt"
	"io"
	"syscall"
	"unicode/utf8"
)

const (
	// excerptBytes is how much of each stream a Result keeps.
	excerptBytes = 4 << 10
	// maxShown is how much of a stream a Reason quotes.
	maxShown = 2048
	// maxHeld is how much stdout is held in memory for an Expect.Match.
	maxHeld = 64 << 20
)

// stream is one output stream of a run. It counts the bytes, keeps the first few KiB for the
// excerpt, copies everything to file when one is set and, as the expectation needs, compares
// with an exact stdout on the fly or holds the text for a Match, up to limit bytes. Its Write
// never fails, so a program is never stopped by what is done with its output.
type stream struct {
	n    int64
	head []byte // the first excerptBytes+utf8.UTFMax bytes

	file    io.Writer // nil: none
	fileErr error     // the first failed write to file; later writes skip it

	want    *string // exact stdout expected, or nil
	differs bool    // what came so far is not a prefix of *want

	match func(string) bool // needs the whole text, or nil
	held  bytes.Buffer
	limit int64 // most bytes held for match
	over  bool  // more than limit bytes came: held is incomplete
}

// newStream is a stream that checks what want expects of stdout.
func newStream(want Expect) *stream {
	st := &stream{want: want.Stdout, limit: maxHeld}
	if want.Stdout == nil {
		st.match = want.Match
	}
	return st
}

func (st *stream) Write(p []byte) (int, error) {
	if keep := excerptBytes + utf8.UTFMax - len(st.head); keep > 0 {
		st.head = append(st.head, p[:min(keep, len(p))]...)
	}
	if st.file != nil && st.fileErr == nil {
		_, st.fileErr = st.file.Write(p)
	}
	if st.want != nil && !st.differs {
		w := *st.want
		st.differs = st.n+int64(len(p)) > int64(len(w)) || w[st.n:st.n+int64(len(p))] != string(p)
	}
	if st.match != nil && !st.over {
		if st.n+int64(len(p)) > st.limit {
			st.over = true
			st.held = bytes.Buffer{}
		} else {
			st.held.Write(p)
		}
	}
	st.n += int64(len(p))
	return len(p), nil
}

// matches reports whether the stream is what was expected of it, and when it cannot tell,
// why (as a suffix for the Reason).
func (st *stream) matches() (bool, string) {
	switch {
	case st.want != nil:
		return !st.differs && st.n == int64(len(*st.want)), ""
	case st.match == nil:
		return true, ""
	case st.over:
		return false, fmt.Sprintf(" (%d bytes, more than the %d that a pattern is matched against)", st.n, st.limit)
	}
	return st.match(st.held.String()), ""
}

// excerpt is the stream for a Result.
func (st *stream) excerpt() string { return excerpt(st.head, st.n, excerptBytes) }

// quote is the stream for a Reason.
func (st *stream) quote() string { return quote(string(st.head), st.n) }

// excerpt is head, the first bytes of a text of total bytes, cut to at most limit bytes on a
// UTF-8 boundary, with a last line saying how many bytes were left out. head must hold the
// text's first limit+utf8.UTFMax bytes (or all of it) for the cut to see whole characters.
func excerpt(head []byte, total int64, limit int) string {
	if total <= int64(limit) {
		return string(head[:total])
	}
	cut := cutAt(string(head), limit)
	return fmt.Sprintf("%s\n[%d bytes left out]", head[:cut], total-int64(cut))
}

// cutAt is the largest n <= limit that does not split a UTF-8 character of s; it looks back at
// most utf8.UTFMax-1 bytes, so text that is not UTF-8 is still cut near limit.
func cutAt(s string, limit int) int {
	if limit >= len(s) {
		return len(s)
	}
	cut := limit
	for cut > 0 && limit-cut < utf8.UTFMax-1 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if !utf8.RuneStart(s[cut]) {
		return limit // not UTF-8 here: any cut is as good
	}
	return cut
}

// quote quotes the first bytes s of an output of total bytes for a message, cut to maxShown.
func quote(s string, total int64) string {
	if total <= maxShown && int64(len(s)) == total {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q... (%d bytes in all)", s[:cutAt(s, maxShown)], total)
}

// killedBy names the signal an exit code 128+n reports, as engines and shells do, e.g.
// " (killed by SIGSEGV)" for 139; "" for other codes.
func killedBy(exit int) string {
	name, ok := signalNames[syscall.Signal(exit-128)]
	if exit <= 128 || !ok {
		return ""
	}
	return " (killed by " + name + ")"
}

// signalNames are the signals a crashing or killed program dies of, with Linux's numbers
// (the same for every platform here: qemu-user maps a foreign program's signals to the host's).
var signalNames = map[syscall.Signal]string{
	syscall.SIGHUP: "SIGHUP", syscall.SIGINT: "SIGINT", syscall.SIGQUIT: "SIGQUIT",
	syscall.SIGILL: "SIGILL", syscall.SIGTRAP: "SIGTRAP", syscall.SIGABRT: "SIGABRT",
	syscall.SIGBUS: "SIGBUS", syscall.SIGFPE: "SIGFPE", syscall.SIGKILL: "SIGKILL",
	syscall.SIGUSR1: "SIGUSR1", syscall.SIGSEGV: "SIGSEGV", syscall.SIGUSR2: "SIGUSR2",
	syscall.SIGPIPE: "SIGPIPE", syscall.SIGALRM: "SIGALRM", syscall.SIGTERM: "SIGTERM",
	syscall.SIGXCPU: "SIGXCPU", syscall.SIGXFSZ: "SIGXFSZ", syscall.SIGSYS: "SIGSYS",
}
