package debian

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Mirror is where a suite's packages come from: the archive URI of the
// suite itself and of its security updates.
type Mirror struct {
	Debian   string // e.g. http://deb.debian.org/debian
	Security string // e.g. http://deb.debian.org/debian-security
}

// ParseSources finds the mirror of suite ("bookworm") in the machine's apt
// sources: data is the contents of /etc/apt/sources.list.d/debian.sources
// (deb822: stanzas with Types, URIs, Suites, Enabled) or of
// /etc/apt/sources.list (one-line "deb [options] URI suite components"),
// or both concatenated. The first enabled "deb" source naming suite gives
// Debian, the first naming suite-security gives Security.
func ParseSources(data []byte, suite string) (Mirror, error) {
	var m Mirror
	take := func(types, uris, suites []string) {
		if !slices.Contains(types, "deb") || len(uris) == 0 {
			return
		}
		uri := strings.TrimSuffix(uris[0], "/")
		if m.Debian == "" && slices.Contains(suites, suite) {
			m.Debian = uri
		}
		if m.Security == "" && slices.Contains(suites, suite+"-security") {
			m.Security = uri
		}
	}
	stanza := map[string]string{}
	last := ""
	flush := func() {
		if len(stanza) > 0 && !strings.EqualFold(strings.TrimSpace(stanza["enabled"]), "no") {
			take(strings.Fields(stanza["types"]), strings.Fields(stanza["uris"]), strings.Fields(stanza["suites"]))
		}
		stanza, last = map[string]string{}, ""
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			flush()
		case strings.HasPrefix(trimmed, "#"):
		case strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t"):
			if last != "" { // a continuation line of a deb822 field
				stanza[last] += " " + trimmed
			}
		case strings.HasPrefix(trimmed, "deb ") || strings.HasPrefix(trimmed, "deb-src "):
			flush()
			typ, uri, suites := parseOneLine(trimmed)
			if uri != "" {
				take([]string{typ}, []string{uri}, suites)
			}
		default:
			key, value, ok := strings.Cut(trimmed, ":")
			if !ok {
				return Mirror{}, fmt.Errorf("parsing apt sources: line %q is neither a deb822 field nor a deb line", line)
			}
			last = strings.ToLower(strings.TrimSpace(key))
			stanza[last] = strings.TrimSpace(value)
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return Mirror{}, fmt.Errorf("parsing apt sources: %w", err)
	}
	switch {
	case m.Debian == "":
		return Mirror{}, fmt.Errorf("parsing apt sources: no enabled deb source for suite %s", suite)
	case m.Security == "":
		return Mirror{}, fmt.Errorf("parsing apt sources: no enabled deb source for suite %s-security (its security updates are needed)", suite)
	}
	return m, nil
}

// parseOneLine reads "deb [opt=v ...] URI suite [component ...]".
func parseOneLine(line string) (typ, uri string, suites []string) {
	typ, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]")
		if end < 0 {
			return typ, "", nil
		}
		rest = rest[end+1:]
	}
	f := strings.Fields(rest)
	if len(f) < 2 {
		return typ, "", nil
	}
	return typ, f[0], f[1:2]
}
