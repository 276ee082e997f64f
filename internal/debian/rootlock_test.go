package debian

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func lockPackages() []Package {
	return []Package{
		{Name: "gcc-12", Version: "12.2.0-14+deb12u1", Architecture: "amd64", Source: "gcc-12",
			Filename: "pool/main/g/gcc-12/gcc-12_12.2.0-14+deb12u1_amd64.deb", Size: 19, SHA256: strings.Repeat("a", 64)},
		{Name: "libc6", Version: "2.36-9+deb12u14", Architecture: "amd64", Source: "glibc",
			Filename: "pool/updates/main/g/glibc/libc6_2.36-9+deb12u14_amd64.deb", Size: 7, SHA256: strings.Repeat("b", 64)},
	}
}

func TestRootLockRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "toolchains", RootLockFileName)
	l := testRootLock(lockPackages())
	l.Digest = ""
	if err := WriteRootLock(path, l); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	got, err := ReadRootLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != got.ComputeDigest() || len(got.Digest) != 64 {
		t.Fatalf("digest %q", got.Digest)
	}
	if p, ok := got.Find("libc6"); !ok || p.Version != "2.36-9+deb12u14" {
		t.Errorf("Find(libc6) = %v, %v", p, ok)
	}
	if p, ok := got.Find("libc"); ok {
		t.Errorf("Find(libc) = %v", p)
	}
	if err := WriteRootLock(path, got); err != nil {
		t.Fatal(err)
	}
	if second, _ := os.ReadFile(path); string(second) != string(first) {
		t.Errorf("rewriting changed the file:\n%s\n%s", first, second)
	}
}

// TestRootLockDigest: the packages name the root; the request and the
// note do not.
func TestRootLockDigest(t *testing.T) {
	base := testRootLock(lockPackages()).ComputeDigest()
	same := testRootLock(lockPackages())
	same.Requested, same.Note = []string{"gcc", "libc6"}, "other words"
	if same.ComputeDigest() != base {
		t.Error("the requested list or the note changed the digest")
	}
	for name, change := range map[string]func(*RootLock){
		"sha256":  func(l *RootLock) { l.Packages[1].SHA256 = strings.Repeat("c", 64) },
		"version": func(l *RootLock) { l.Packages[0].Version = "12.2.0-15" },
		"dropped": func(l *RootLock) { l.Packages = l.Packages[:1] },
		"suite":   func(l *RootLock) { l.Suite = "trixie" },
	} {
		l := testRootLock(lockPackages())
		change(l)
		if l.ComputeDigest() == base {
			t.Errorf("changing the %s kept the digest", name)
		}
	}
}

func TestRootLockValidation(t *testing.T) {
	for name, tc := range map[string]struct {
		change func(*RootLock)
		want   string
	}{
		"edited":    {func(l *RootLock) { l.Packages[0].Size = 20 }, "toolchains/buildroot.lock.json: digest: "},
		"unsorted":  {func(l *RootLock) { l.Packages[0], l.Packages[1] = l.Packages[1], l.Packages[0] }, "packages[1].name: \"gcc-12\" is out of order"},
		"bad sha":   {func(l *RootLock) { l.Packages[1].SHA256 = "B" }, "packages[1].sha256: \"B\" is not 64 lowercase hex digits"},
		"arm64":     {func(l *RootLock) { l.Packages[0].Architecture = "arm64" }, "packages[0].architecture: \"arm64\" is neither amd64 nor all"},
		"root arch": {func(l *RootLock) { l.Arch = "arm64" }, "arch: \"arm64\" is not amd64"},
	} {
		t.Run(name, func(t *testing.T) {
			l := testRootLock(lockPackages())
			tc.change(l)
			err := l.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want %q", err, tc.want)
			}
		})
	}
	if err := testRootLock(lockPackages()).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestParseSimulation(t *testing.T) {
	out := `Reading package lists...
Building dependency tree...
The following NEW packages will be installed:
  gcc-12-base libc6
Inst gcc-12-base (12.2.0-14+deb12u1 Debian:12.15/oldstable [amd64])
Inst libc6 (2.36-9+deb12u14 Debian-Security:12/oldstable-security [amd64]) []
Inst autoconf (2.71-3 Debian:12.15/oldstable [all])
Conf libc6 (2.36-9+deb12u14 Debian-Security:12/oldstable-security [amd64])
`
	pkgs, err := parseSimulation([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []Package{
		{Name: "gcc-12-base", Version: "12.2.0-14+deb12u1", Architecture: "amd64"},
		{Name: "libc6", Version: "2.36-9+deb12u14", Architecture: "amd64"},
		{Name: "autoconf", Version: "2.71-3", Architecture: "all"},
	}
	if len(pkgs) != len(want) {
		t.Fatalf("got %v", pkgs)
	}
	for i := range want {
		if pkgs[i] != want[i] {
			t.Errorf("package %d = %+v, want %+v", i, pkgs[i], want[i])
		}
	}
	show := `Package: libc6
Version: 2.36-9+deb12u14
Architecture: amd64
Source: glibc
Filename: pool/updates/main/g/glibc/libc6_2.36-9+deb12u14_amd64.deb
Size: 2759320
SHA256: ` + strings.Repeat("1", 64) + `
Description: GNU C Library
 continuation

Package: gcc-12-base
Version: 12.2.0-14+deb12u1
Architecture: amd64
Source: gcc-12 (12.2.0-14)
Filename: pool/main/g/gcc-12/gcc-12-base_12.2.0-14+deb12u1_amd64.deb
Size: 37596
SHA256: ` + strings.Repeat("2", 64) + `

Package: autoconf
Version: 2.71-3
Architecture: all
Filename: pool/main/a/autoconf/autoconf_2.71-3_all.deb
Size: 12
SHA256: ` + strings.Repeat("3", 64) + `
`
	got, err := matchStanzas(pkgs, []byte(show))
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Name != "autoconf" || got[0].Source != "autoconf" || got[1].Source != "gcc-12" || got[2].Size != 2759320 || !got[2].Security() {
		t.Errorf("matched %+v", got)
	}
	if _, err := matchStanzas(append(pkgs, Package{Name: "make", Version: "4.3-4.1"}), []byte(show)); err == nil {
		t.Error("a package apt-cache show did not print is not an error")
	}
	if _, err := parseSimulation([]byte("E: Unable to locate package nosuch\n")); err == nil {
		t.Error("an output without Inst lines is not an error")
	}
}
