package release

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// Real debian/copyright files: jq's (from jq_1.6-2.1+deb12u2.debian.tar.xz),
// musl's and libc6's (from their bookworm .debs).
func TestDEP5License(t *testing.T) {
	for _, c := range []struct{ file, want, problem string }{
		{"jq", "CC-BY-3.0 AND MIT", ""},                      // debian/*'s GPL-2.0+ is the packaging's
		{"musl", NoAssertion, `"public-domain" has no SPDX`}, // include/* is in the public domain
		{"libc6", NoAssertion, "not in Debian's machine-readable copyright format"},
	} {
		data, err := os.ReadFile(filepath.Join("testdata", "copyright", c.file))
		if err != nil {
			t.Fatal(err)
		}
		got, problem := DEP5License(data)
		if got != c.want || !strings.Contains(problem, c.problem) || (c.problem == "") != (problem == "") {
			t.Errorf("%s: DEP5License = %q, %q; want %q, %q", c.file, got, problem, c.want, c.problem)
		}
		if got != NoAssertion {
			if err := recipe.ValidateLicense(got); err != nil {
				t.Errorf("%s: %v", c.file, err)
			}
		}
	}
}

func TestSPDXOfDEP5Expression(t *testing.T) {
	for in, want := range map[string]string{
		"GPL-2+":                        "GPL-2.0-or-later",
		"GPL-3":                         "GPL-3.0-only",
		"LGPL-2.1+ or GPL-2+":           "LGPL-2.1-or-later OR GPL-2.0-or-later",
		"BSD-3-clause and Expat":        "BSD-3-Clause AND MIT",
		"Expat, and zlib":               "MIT AND Zlib",
		"Perl":                          "Artistic-1.0-Perl OR GPL-1.0-or-later",
		"Perl and Expat":                "(Artistic-1.0-Perl OR GPL-1.0-or-later) AND MIT",
		"GPL-2+ with OpenSSL exception": "",
		"permissive":                    "",
		"GPL":                           "",
		"GPL-4+":                        "",
		"MIT or":                        "",
	} {
		got, err := spdxOfDEP5Expression(in)
		if (err != nil) != (want == "") || got != want {
			t.Errorf("spdxOfDEP5Expression(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
