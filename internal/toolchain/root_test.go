package toolchain

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUpstreamVersion(t *testing.T) {
	for in, want := range map[string]string{
		"12.2.0-14+deb12u1":  "12.2.0",
		"4:12.2.0-3":         "12.2.0",
		"2.36-9+deb12u14":    "2.36",
		"12.2.0-14cross1":    "12.2.0",
		"1.2.3":              "1.2.3",
		"1:2.38.1-5+deb12u3": "2.38.1",
	} {
		if got := UpstreamVersion(in); got != want {
			t.Errorf("UpstreamVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

// The toolchains of the repository, detected in a root known only by its
// lock: versions come from the locked packages, commands are the root's,
// and a package the lock lacks makes the target unavailable with the
// refresh target named.
func TestDetectInRoot(t *testing.T) {
	defs, err := LoadAll(filepath.Join("..", "..", "toolchains"))
	if err != nil {
		t.Fatal(err)
	}
	locked := map[string]string{
		"gcc-12":                         "12.2.0-14+deb12u1",
		"gcc-12-aarch64-linux-gnu":       "12.2.0-14cross1",
		"gcc-12-arm-linux-gnueabihf":     "12.2.0-14cross1",
		"gcc-12-i686-linux-gnu":          "12.2.0-14cross1",
		"gcc-12-arm-linux-gnueabi":       "12.2.0-14cross1",
		"gcc-12-powerpc64le-linux-gnu":   "12.2.0-14cross1",
		"gcc-12-s390x-linux-gnu":         "12.2.0-14cross1",
		"gcc-12-mips64el-linux-gnuabi64": "12.2.0-14cross1",
		// riscv64 left out on purpose
	}
	root := Root{Digest: "sha256:abc", Version: func(p string) (string, bool) { v, ok := locked[p]; return v, ok }}
	cache := t.TempDir()
	for _, d := range defs {
		for _, s := range DetectInRoot(d, root, cache) {
			name := d.Name + " " + string(s.Target.Platform)
			switch {
			case d.Provision.Npm != "":
				// zig is not provisioned in this empty cache.
				if s.Available || !strings.Contains(s.Reason, "not found") || !strings.Contains(s.Hint, "go tool mage setup") {
					t.Errorf("%s: available %v, reason %q; want unavailable, naming setup", name, s.Available, s.Reason)
				}
			case s.Target.Package == "gcc-12-riscv64-linux-gnu":
				if s.Available || !strings.Contains(s.Reason, "toolchains:lock") || !strings.Contains(s.Hint, "toolchains:lock") {
					t.Errorf("%s: available %v, reason %q; want unavailable naming toolchains:lock", name, s.Available, s.Reason)
				}
			default:
				if !s.Available || s.Version != "12.2.0" {
					t.Errorf("%s: available %v version %q (%s); want 12.2.0", name, s.Available, s.Version, s.Reason)
					continue
				}
				for n, p := range s.Resolved {
					if p != RootBin+"/"+n || !InRoot(p) {
						t.Errorf("%s: %s resolved to %s, want the root's", name, n, p)
					}
				}
				if s.PathDirs[0] == "" || strings.Contains(strings.Join(s.PathDirs, ":"), cache) {
					t.Errorf("%s: PATH %v", name, s.PathDirs)
				}
			}
		}
	}
}

// A provisioned toolchain is found in its directory in the cache by a
// stat: its version is the npm spec's.
func TestDetectInRootProvisioned(t *testing.T) {
	defs, err := LoadAll(filepath.Join("..", "..", "toolchains"))
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	for _, d := range defs {
		if d.Provision.Npm == "" {
			continue
		}
		dir := d.NpmDir(cache)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, d.CC[0]), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, s := range DetectInRoot(d, Root{}, cache) {
			if !s.Available || s.Version == "" || s.Resolved[d.CC[0]] != filepath.Join(dir, d.CC[0]) || s.PathDirs[0] != dir {
				t.Errorf("%s %s: %+v", d.Name, s.Target.Platform, s)
			}
			if err := d.Check(s.Version); err != nil {
				t.Error(err)
			}
		}
	}
}

// A compiler in the build root read the root's system headers: their
// names are not looked up on the host (where they may not exist), but a
// file outside the system dirs and the recipe still fails.
func TestCheckDepsInRoot(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.c"), []byte("int main(void){return 0;}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sys := []string{"/usr/include", "/usr/lib"}
	deps := []Deps{{Source: "a.c", Files: []string{"a.c", "/usr/include/fromscratch-not-on-this-host.h"}}}
	if err := checkDeps(deps, dir, []string{"a.c"}, sys, true); err != nil {
		t.Errorf("in the root: %v", err)
	}
	if err := checkDeps(deps, dir, []string{"a.c"}, sys, false); err == nil || !strings.Contains(err.Error(), "cannot be found any more") {
		t.Errorf("on the host: %v, want the missing header named", err)
	}
	other := filepath.Join(t.TempDir(), "other.h")
	if err := os.WriteFile(other, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	outside := []Deps{{Source: "a.c", Files: []string{"a.c", other}}}
	var de *DepError
	if err := checkDeps(outside, dir, []string{"a.c"}, sys, true); !errors.As(err, &de) {
		t.Errorf("a file outside the system dirs in the root: %v, want a *DepError", err)
	}
}
