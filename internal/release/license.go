package release

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// NoAssertion is SPDX's "nothing is said": the licence of a package whose
// licence could not be read.
const NoAssertion = "NOASSERTION"

// License is a package's licence: an SPDX expression, or none (NoAssertion
// or empty) with the reason no licence could be told in Problem, which the
// SBOM writes as the package's licence comment. A licence is never guessed.
type License struct {
	Expr    string
	Problem string
}

// Known says whether l names a licence.
func (l License) Known() bool { return l.Expr != "" && l.Expr != NoAssertion }

// CopyrightLicense is the licence a debian/copyright file gives: DEP5License
// of data, with where it was read (what) in the problem.
func CopyrightLicense(what string, data []byte) License {
	expr, problem := DEP5License(data)
	if problem != "" {
		return License{Expr: NoAssertion, Problem: what + ": " + problem}
	}
	if err := recipe.ValidateLicense(expr); err != nil {
		return License{Expr: NoAssertion, Problem: fmt.Sprintf("%s: %v", what, err)}
	}
	return License{Expr: expr}
}

// dep5Names maps the short names of Debian's machine-readable copyright
// format (https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/#license-short-name)
// that differ from an SPDX identifier to that identifier; a name equal
// to its SPDX identifier (Apache-2.0, ISC, MIT, Zlib, ...) is in
// spdxIDs. A "+" after a GNU licence means "or any later version".
var dep5Names = map[string]string{
	"expat": "MIT", "zlib": "Zlib", "bsd-2-clause": "BSD-2-Clause", "bsd-3-clause": "BSD-3-Clause",
	"bsd-4-clause": "BSD-4-Clause", "cc0": "CC0-1.0", "cc0-1.0": "CC0-1.0", "artistic": "Artistic-1.0",
	"artistic-2.0": "Artistic-2.0", "mpl-1.1": "MPL-1.1", "mpl-2.0": "MPL-2.0", "apache-2.0": "Apache-2.0",
	"isc": "ISC", "python-2.0": "Python-2.0", "zope-2.1": "ZPL-2.1", "perl": "Artistic-1.0-Perl OR GPL-1.0-or-later",
	"ofl-1.1": "OFL-1.1", "lppl-1.3c": "LPPL-1.3c", "w3c": "W3C", "unicode-dfs-2016": "Unicode-DFS-2016",
	"x11": "X11", "mit": "MIT", "ftl": "FTL", "curl": "curl", "bsl-1.0": "BSL-1.0", "boost-1.0": "BSL-1.0",
	"unlicense": "Unlicense", "0bsd": "0BSD", "cc-by-3.0": "CC-BY-3.0", "cc-by-4.0": "CC-BY-4.0",
	"cc-by-sa-3.0": "CC-BY-SA-3.0", "cc-by-sa-4.0": "CC-BY-SA-4.0", "public-domain": "",
}

// gnuNames are the GNU licences by DEP-5 stem and SPDX stem, with the
// versions each has.
var gnuNames = map[string]struct {
	spdx     string
	versions []string
}{
	"gpl":  {"GPL", []string{"1.0", "2.0", "3.0"}},
	"lgpl": {"LGPL", []string{"2.0", "2.1", "3.0"}},
	"agpl": {"AGPL", []string{"3.0"}},
	"gfdl": {"GFDL", []string{"1.1", "1.2", "1.3"}},
}

// dep5GNU is a GNU short name: stem, version, and "+" for "or later".
var dep5GNU = regexp.MustCompile(`^(gpl|lgpl|agpl|gfdl)-?([0-9](?:\.[0-9])?)?(\+)?$`)

// SPDXOfDEP5 is the SPDX identifier of one DEP-5 short name, or false.
func SPDXOfDEP5(name string) (string, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	if id, ok := dep5Names[n]; ok {
		return id, id != "" // public-domain: SPDX has no identifier
	}
	m := dep5GNU.FindStringSubmatch(n)
	if m == nil {
		if ok, id := spdxexp.ActiveLicense(name); ok { // an SPDX identifier in any case: BSD-2-clause
			return id, true
		}
		return "", false
	}
	if m[2] == "" {
		return "", false
	}
	g := gnuNames[m[1]]
	v := m[2]
	if !strings.Contains(v, ".") {
		v += ".0"
	}
	if !slices.Contains(g.versions, v) {
		return "", false
	}
	if m[3] == "+" {
		return g.spdx + "-" + v + "-or-later", true
	}
	return g.spdx + "-" + v + "-only", true
}

// DEP5License reads a debian/copyright file in Debian's machine-readable
// format and returns the SPDX expression of the program it describes:
// the licences of its Files paragraphs, each translated from its DEP-5
// short names (GPL-2+ -> GPL-2.0-or-later, Expat -> MIT, "or" and "and"
// to OR and AND), joined with AND. The paragraphs of debian/* (the
// packaging, not compiled into the program) are left out. A file that is
// not in the format, or a licence with a name or an exception SPDX has no
// identifier for, gives NoAssertion and says why: a licence is never
// guessed.
func DEP5License(data []byte) (expr string, problem string) {
	paras := deb822(data)
	if len(paras) == 0 || !strings.Contains(paras[0]["format"], "copyright-format/1.0") {
		return NoAssertion, "not in Debian's machine-readable copyright format (no Format: .../copyright-format/1.0 header)"
	}
	var parts []string
	for _, p := range paras[1:] {
		files, ok := p["files"]
		if !ok || onlyPackaging(files) {
			continue
		}
		first, _, _ := strings.Cut(p["license"], "\n")
		e, err := spdxOfDEP5Expression(first)
		if err != nil {
			return NoAssertion, fmt.Sprintf("Files: %s: License: %s: %v", strings.Join(strings.Fields(files), " "), first, err)
		}
		if !slices.Contains(parts, e) {
			parts = append(parts, e)
		}
	}
	switch len(parts) {
	case 0:
		return NoAssertion, "no Files paragraph names a licence"
	case 1:
		return parts[0], ""
	}
	slices.Sort(parts)
	for i, p := range parts {
		if strings.Contains(p, " OR ") {
			parts[i] = "(" + p + ")"
		}
	}
	return strings.Join(parts, " AND "), ""
}

// onlyPackaging says whether a Files field covers debian/ alone.
func onlyPackaging(files string) bool {
	for _, f := range strings.Fields(files) {
		if !strings.HasPrefix(f, "debian/") {
			return false
		}
	}
	return true
}

// spdxOfDEP5Expression translates one License line: short names joined
// by "or" and "and" (", and" and ", or" are DEP-5's lower precedence,
// which SPDX's AND-before-OR already gives for the common cases).
func spdxOfDEP5Expression(line string) (string, error) {
	words := strings.Fields(strings.NewReplacer(",", " ").Replace(line))
	if len(words) == 0 {
		return "", fmt.Errorf("no licence named")
	}
	var out []string
	for i, w := range words {
		lw := strings.ToLower(w)
		if i%2 == 1 {
			switch lw {
			case "or":
				out = append(out, "OR")
			case "and":
				out = append(out, "AND")
			case "with":
				return "", fmt.Errorf("an exception (%q): not translated", strings.Join(words[i:], " "))
			default:
				return "", fmt.Errorf("%q where \"or\" or \"and\" was expected", w)
			}
			continue
		}
		id, ok := SPDXOfDEP5(w)
		if !ok {
			return "", fmt.Errorf("%q has no SPDX identifier this tool knows", w)
		}
		if strings.Contains(id, " OR ") && len(words) > 1 {
			id = "(" + id + ")"
		}
		out = append(out, id)
	}
	if len(words)%2 == 0 {
		return "", fmt.Errorf("ends with %q", words[len(words)-1])
	}
	return strings.Join(out, " "), nil
}

// deb822 splits a control-format file into paragraphs of lower-cased
// field names; continuation lines are kept, joined by newlines, with
// their leading space removed ("." lines become empty).
func deb822(data []byte) []map[string]string {
	var paras []map[string]string
	var cur map[string]string
	var last string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			cur, last = nil, ""
		case strings.HasPrefix(line, "#"):
		case line[0] == ' ' || line[0] == '\t':
			if cur != nil && last != "" {
				t := strings.TrimSpace(line)
				if t == "." {
					t = ""
				}
				cur[last] += "\n" + t
			}
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			if cur == nil {
				cur = map[string]string{}
				paras = append(paras, cur)
			}
			last = strings.ToLower(strings.TrimSpace(k))
			cur[last] = strings.TrimSpace(v)
		}
	}
	return paras
}
