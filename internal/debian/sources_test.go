package debian

import (
	"strings"
	"testing"
)

// debianSources is Debian 12's /etc/apt/sources.list.d/debian.sources as
// the project's machines have it.
const debianSources = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.debian.org/archive/debian-security/20250520T000000Z
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`

func TestParseSources(t *testing.T) {
	std := Mirror{Debian: "http://deb.debian.org/debian", Security: "http://deb.debian.org/debian-security"}
	tests := []struct {
		name, data string
		want       Mirror
		err        string
	}{
		{name: "deb822", data: debianSources, want: std},
		{name: "one-line", data: "# a comment\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian/ bookworm main contrib\n" +
			"deb-src http://other.example/debian bookworm main\n" +
			"deb http://security.example/debian-security bookworm-security main\n",
			want: Mirror{Debian: "http://mirror.example/debian", Security: "http://security.example/debian-security"}},
		{name: "deb-src only does not count", data: "deb-src http://a.example/debian bookworm main\ndeb http://b.example/debian bookworm main\ndeb http://b.example/s bookworm-security main\n",
			want: Mirror{Debian: "http://b.example/debian", Security: "http://b.example/s"}},
		{name: "disabled stanza skipped", data: "Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nEnabled: no\n\n" + debianSources, want: std},
		{name: "both files concatenated", data: debianSources + "\ndeb http://late.example/debian bookworm main\n", want: std},
		{name: "multi-line field", data: "Types: deb\nURIs:\n http://deb.debian.org/debian\nSuites: bookworm\n  bookworm-security\n", want: Mirror{Debian: "http://deb.debian.org/debian", Security: "http://deb.debian.org/debian"}},
		{name: "no security", data: "deb http://deb.debian.org/debian bookworm main\n", err: "no enabled deb source for suite bookworm-security"},
		{name: "other release", data: strings.ReplaceAll(debianSources, "bookworm", "trixie"), err: "no enabled deb source for suite bookworm"},
		{name: "garbage", data: "this is not apt\n", err: "neither a deb822 field nor a deb line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSources([]byte(tc.data), "bookworm")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestAptSourcesListAndOptions(t *testing.T) {
	m := Mirror{Debian: "http://deb.debian.org/debian", Security: "http://deb.debian.org/debian-security"}
	a := NewApt("/c", "arm64", "bookworm", m)
	if a.Dir != "/c/debian/apt/arm64" {
		t.Errorf("Dir = %s", a.Dir)
	}
	wantList := `deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-updates main
deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main
`
	if got := a.SourcesList(); got != wantList {
		t.Errorf("SourcesList:\n%s\nwant:\n%s", got, wantList)
	}
	wantOpts := "-o Dir::Etc::SourceList=/c/debian/apt/arm64/sources.list -o Dir::Etc::SourceParts=/dev/null " +
		"-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null " +
		"-o Dir::State::Lists=/c/debian/apt/arm64/lists -o Dir::State::status=/dev/null " +
		"-o Dir::State::extended_states=/dev/null -o Dir::Cache=/c/debian/apt/arm64/cache " +
		"-o APT::Architecture=arm64 -o APT::Architectures::=arm64"
	if got := strings.Join(a.Options(), " "); got != wantOpts {
		t.Errorf("Options:\n%s\nwant:\n%s", got, wantOpts)
	}
	for _, o := range a.Options() {
		if strings.Contains(o, "/etc/apt") || strings.Contains(o, "/var/lib/apt") {
			t.Errorf("option %q touches the machine's apt state", o)
		}
	}
	src := NewApt("/c", SourceArch, "bookworm", m)
	if l := src.SourcesList(); !strings.HasPrefix(l, "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main\n") {
		t.Errorf("source SourcesList:\n%s", l)
	}
	if o := strings.Join(src.Options(), " "); strings.Contains(o, "APT::Architecture") {
		t.Errorf("source apt pins an architecture: %s", o)
	}
}

func TestParseAptOutput(t *testing.T) {
	uri, size, sum, err := parsePrintURIs("'http://deb.debian.org/debian/pool/main/g/glibc/libc6_2.36-9%2bdeb12u14_arm64.deb' libc6_2.36-9+deb12u14_arm64.deb 2324660 SHA256:01f4330719fd4f65580e16ea5a0527f372fca750e8f588d26deaf09f2d3b1cf4\n")
	if err != nil || uri != "http://deb.debian.org/debian/pool/main/g/glibc/libc6_2.36-9%2bdeb12u14_arm64.deb" || size != 2324660 || sum != "01f4330719fd4f65580e16ea5a0527f372fca750e8f588d26deaf09f2d3b1cf4" {
		t.Errorf("parsePrintURIs: %q %d %q %v", uri, size, sum, err)
	}
	if _, _, _, err := parsePrintURIs("E: Can't select candidate version\n"); err == nil {
		t.Error("parsePrintURIs accepted no download line")
	}
	ps, err := readControl([]byte("Package: libstdc++6\nSource: gcc-12 (12.2.0-14)\nDescription: x\n more\n\n\nPackage: other\n"))
	if err != nil || len(ps) != 2 {
		t.Fatalf("readControl: %v %v", ps, err)
	}
	if st := ps[0]; st.value("Package") != "libstdc++6" || st.value("source") != "gcc-12 (12.2.0-14)" || st.words("Description") != "x more" || len(st) != 3 {
		t.Errorf("readControl: %+v", st)
	}
	if ps[1].value("Package") != "other" {
		t.Errorf("second paragraph: %+v", ps[1])
	}
}
