package testutil

import (
	"slices"
	"strings"
	"testing"
)

// This machine's /etc/apt/sources.list.d/debian.sources.
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

func TestAptMirrors(t *testing.T) {
	mirror, security, err := AptMirrors([]byte(debianSources))
	if err != nil || mirror != "http://deb.debian.org/debian" || security != "http://deb.debian.org/debian-security" {
		t.Errorf("AptMirrors = %q, %q, %v", mirror, security, err)
	}
	onlyMain, _, _ := strings.Cut(debianSources, "\n\n")
	if _, _, err := AptMirrors([]byte(onlyMain)); err == nil || !strings.Contains(err.Error(), "-security") {
		t.Errorf("AptMirrors without a security stanza: %v, want an error naming -security", err)
	}
}

// The image tag names the mmdebstrap inputs: another mirror is another
// image, the same inputs the same one.
func TestOtherHostTag(t *testing.T) {
	a := OtherHostTag(MmdebstrapArgs("http://deb.debian.org/debian", "http://deb.debian.org/debian-security"))
	b := OtherHostTag(MmdebstrapArgs("http://mirror.example/debian", "http://deb.debian.org/debian-security"))
	if a == b {
		t.Errorf("two mirrors give the same tag %s", a)
	}
	if again := OtherHostTag(MmdebstrapArgs("http://deb.debian.org/debian", "http://deb.debian.org/debian-security")); again != a {
		t.Errorf("the same inputs give %s, then %s", a, again)
	}
	if !strings.HasPrefix(a, "fromscratch-otherhost:trixie-") {
		t.Errorf("tag %s: want fromscratch-otherhost:trixie-<hash>", a)
	}
	args := MmdebstrapArgs("M", "S")
	for _, want := range []string{"--variant=extract", "--include=bubblewrap,base-files", "deb M trixie main", "deb S trixie-security main"} {
		if !slices.Contains(args, want) {
			t.Errorf("mmdebstrap %q lacks %q", args, want)
		}
	}
}

func TestOtherHostArgv(t *testing.T) {
	line := strings.Join(otherHostArgv("img:tag", OtherHostRun{Dir: "/r", Env: []string{"A=1"}, Args: []string{"/b/fromscratch", "release"},
		Mounts: []string{"/r", "/c"}, ReadOnly: []string{"/b"}}), " ")
	for _, want := range []string{
		"run --rm --network none --security-opt seccomp=unconfined --security-opt systempaths=unconfined ",
		" -v /r:/r -v /c:/c -v /b:/b:ro ", " -e HOME=/root -e A=1 -w /r img:tag /b/fromscratch release",
	} {
		if !strings.Contains(line, want) {
			t.Errorf("docker %s\nlacks %q", line, want)
		}
	}
	if strings.Contains(line, "GO") {
		t.Errorf("docker %s: the other host has no Go, want no Go setting", line)
	}
	host := strings.Join(otherHostArgv("img:tag", OtherHostRun{Dir: "/r", HostNetwork: true}), " ")
	if !strings.HasPrefix(host, "run --rm --network host ") {
		t.Errorf("docker %s: want --network host", host)
	}
}
