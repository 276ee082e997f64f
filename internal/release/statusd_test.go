package release

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The status entry is the paragraph dpkg writes, which syft's and trivy's
// dpkg parsers read from status.d/<package> (distroless's layout).
func TestStatusEntry(t *testing.T) {
	got, err := StatusEntry(Origin{Package: "libc6", Version: "2.36-9+deb12u14", Arch: "amd64", Source: "glibc"})
	if err != nil {
		t.Fatal(err)
	}
	want := "Package: libc6\nStatus: install ok installed\nSource: glibc\nArchitecture: amd64\nVersion: 2.36-9+deb12u14\n"
	if string(got) != want {
		t.Errorf("StatusEntry = %q, want %q", got, want)
	}
	if got, _ := StatusEntry(Origin{Package: "musl", Version: "1.2.3-1", Arch: "amd64", Source: "musl"}); strings.Contains(string(got), "Source:") {
		t.Errorf("a package built from its own name's source has no Source field: %q", got)
	}
	for _, bad := range []Origin{{Package: "Libc6", Version: "1", Arch: "amd64"}, {Package: "libc6", Arch: "amd64"}, {Package: "libc6", Version: "1 2", Arch: "amd64"}} {
		if _, err := StatusEntry(bad); err == nil {
			t.Errorf("StatusEntry(%+v) accepted it", bad)
		}
	}
}

func TestMD5Sums(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, []byte("hello\n"), 0o644)
	os.WriteFile(b, nil, 0o644)
	got, err := MD5Sums(map[string]string{"/lib64/ld-linux-x86-64.so.2": a, "/lib/libc.so.6": b})
	if err != nil {
		t.Fatal(err)
	}
	want := "d41d8cd98f00b204e9800998ecf8427e  lib/libc.so.6\nb1946ac92492d2347c6235b4d2611184  lib64/ld-linux-x86-64.so.2\n"
	if string(got) != want {
		t.Errorf("MD5Sums = %q, want %q", got, want)
	}
	if _, err := MD5Sums(map[string]string{"/x": filepath.Join(dir, "missing")}); err == nil || !strings.Contains(err.Error(), "/x") {
		t.Errorf("a missing file: %v", err)
	}
}

// syft's sbom cataloger reads **/*.spdx.json, trivy's SBOM analyzer
// *.spdx.json files.
func TestImageSBOMPath(t *testing.T) {
	if got := ImageSBOMPath("hello-gcc-static-linux-amd64"); got != "/var/lib/db/sbom/hello-gcc-static-linux-amd64.spdx.json" {
		t.Errorf("ImageSBOMPath = %s", got)
	}
}
