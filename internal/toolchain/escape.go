package toolchain

import (
	"fmt"
	"regexp"
	"strings"
)

// EscapeError is a sandboxed step that failed after trying to write
// outside its writable places (Path) or to reach the network (Addr). The
// sandbox stopped it: the host is unchanged.
type EscapeError struct {
	Step    string // the command line
	Network bool   // it reached for the network (else it wrote outside its places)
	Path    string // the path it wrote to, as its output names it ("" if it names none)
	Addr    string // the address it tried, as its output names it ("" if it names none)
	Err     error  // the step's own failure
}

func (e *EscapeError) Error() string {
	switch {
	case e.Network && e.Addr != "":
		return fmt.Sprintf("the build step reached for the network (%s), which build steps do not have: %v", e.Addr, e.Err)
	case e.Network:
		return fmt.Sprintf("the build step reached for the network, which build steps do not have: %v", e.Err)
	case e.Path != "":
		return fmt.Sprintf("the build step wrote to %s, outside its writable places (the source tree, the build directory, the stage): %v", e.Path, e.Err)
	}
	return fmt.Sprintf("the build step wrote outside its writable places (the source tree, the build directory, the stage): %v", e.Err)
}

func (e *EscapeError) Unwrap() error { return e.Err }

const readOnly = "Read-only file system"

// networkMarkers are the messages of a connection or name lookup that the
// sandbox's empty network refused (libc's strerror and gai_strerror, and
// curl's and git's words for them).
var networkMarkers = []string{
	"Network is unreachable",
	"Connection refused",
	"Temporary failure in name resolution",
	"Could not resolve host",
	"Couldn't connect to server",
}

// findEscape reads a failed step's output for a write to a read-only
// place (first) or a refused network access, nil if it has neither.
func findEscape(out []byte) *EscapeError {
	s := string(out)
	for _, line := range strings.Split(s, "\n") {
		if before, after, ok := strings.Cut(line, readOnly); ok {
			return &EscapeError{Path: pathIn(before, after)}
		}
	}
	for _, m := range networkMarkers {
		if strings.Contains(s, m) {
			return &EscapeError{Network: true, Addr: addrIn(s)}
		}
	}
	return nil
}

// quoted matches a quoted string: 'x', ‘x’, "x", “x”, `x'.
var quoted = regexp.MustCompile("'([^']+)'|‘([^’]+)’|\"([^\"]+)\"|“([^”]+)”|`([^']+)'")

// pathIn takes the path from the text before and after "Read-only file
// system" on one line: the last quoted string before it
// (install: cannot create regular file '/usr/local/bin/x'), else the last
// word that starts with / (sh: 1: cannot create /etc/x, tar: /etc/x:
// Cannot open), else a quoted string after it (Python's OSError).
func pathIn(before, after string) string {
	if m := quoted.FindAllStringSubmatch(before, -1); m != nil {
		return firstGroup(m[len(m)-1])
	}
	fields := strings.Fields(before)
	for i := len(fields) - 1; i >= 0; i-- {
		if f := strings.TrimRight(fields[i], ":,."); strings.HasPrefix(f, "/") {
			return f
		}
	}
	if m := quoted.FindStringSubmatch(after); m != nil {
		return firstGroup(m)
	}
	return ""
}

func firstGroup(m []string) string {
	for _, g := range m[1:] {
		if g != "" {
			return g
		}
	}
	return ""
}

// addrPatterns find the address in a refused network access, the most
// specific first: bash's /dev/tcp, curl's and nc's "to HOST port N",
// curl's and git's "resolve host: H", wget's "Resolving H", an IPv4
// address with its port, a URL's host.
var addrPatterns = []*regexp.Regexp{
	regexp.MustCompile(`/dev/(?:tcp|udp)/([^/\s]+)/(\d+)`),
	regexp.MustCompile(`(?i)connect to (\S+) port (\d+)`),
	regexp.MustCompile(`resolve host(?: address)?:? ['‘]?([^\s'’]+)`),
	regexp.MustCompile(`Resolving (\S+)`),
	regexp.MustCompile(`\b(\d{1,3}(?:\.\d{1,3}){3})(?::(\d+))?\b`),
	regexp.MustCompile(`[a-z][a-z0-9+.-]*://([^/\s'"]+)`),
}

func addrIn(s string) string {
	for _, re := range addrPatterns {
		m := re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		if len(m) > 2 && m[2] != "" {
			return m[1] + ":" + m[2]
		}
		return m[1]
	}
	return ""
}
