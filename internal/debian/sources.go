package debian

import (
	"errors"
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
	// Each run of deb822 text between one-line entries is read as such, so
	// that sources are taken in the order the files give them.
	var block []byte
	flush := func() error {
		ps, err := readControl(block)
		if se, ok := errors.AsType[*syntaxError](err); ok {
			return fmt.Errorf("parsing apt sources: line %q is neither a deb822 field nor a deb line", se.Text)
		}
		if err != nil {
			return fmt.Errorf("parsing apt sources: %w", err)
		}
		for _, p := range ps {
			if !strings.EqualFold(p.value("Enabled"), "no") {
				take(strings.Fields(p.words("Types")), strings.Fields(p.words("URIs")), strings.Fields(p.words("Suites")))
			}
		}
		block = nil
		return nil
	}
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if !strings.HasPrefix(line, "deb ") && !strings.HasPrefix(line, "deb-src ") {
			block = append(block, line...)
			continue
		}
		if err := flush(); err != nil {
			return Mirror{}, err
		}
		if typ, uri, suites := parseOneLine(strings.TrimSpace(line)); uri != "" {
			take([]string{typ}, []string{uri}, suites)
		}
	}
	if err := flush(); err != nil {
		return Mirror{}, err
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
