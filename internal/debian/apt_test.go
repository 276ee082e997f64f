package debian

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// A failed apt-get source says what to do: a name with no source package,
// or the versions to pin instead of one the mirror does not serve.
func TestDownloadSourceAdvice(t *testing.T) {
	a := &Apt{Dir: t.TempDir(), Arch: SourceArch, Suite: "bookworm"}
	showsrc := "Package: zlib\nBinary: zlib1g\nVersion: 1:1.2.13.dfsg-1+deb12u1\n\nPackage: zlib\nVersion: 1:1.2.13.dfsg-1\n"
	for _, tc := range []struct{ aptOut, want string }{
		{"E: Unable to find a source package for nosuchpkg\n", "bookworm has no source package named zlib1g"},
		{"E: Failed to fetch http://deb.debian.org/debian-security/pool/updates/main/z/zlib/zlib_1.2.13.dfsg-1%2bdeb12u1.dsc 404 Not Found\n",
			"bookworm lists zlib=1:1.2.13.dfsg-1+deb12u1, zlib=1:1.2.13.dfsg-1: name another, as in zlib=1:1.2.13.dfsg-1"},
	} {
		run := func(_ context.Context, argv []string, _ string, _ []string) ([]byte, error) {
			if argv[0] == "apt-cache" {
				return []byte(showsrc), nil
			}
			return []byte(tc.aptOut), errors.New("exit status 100")
		}
		err := a.DownloadSource(t.Context(), run, "zlib1g", "", t.TempDir())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want it to say %q", tc.aptOut, err, tc.want)
		}
	}
}
