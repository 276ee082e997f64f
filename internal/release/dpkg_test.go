package release

import (
	"context"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// fakeInfoDir copies testdata/dpkg-info to a temporary directory, unescaping
// the file names ("libc6%3Aamd64.list" -> "libc6:amd64.list"; see
// testdata/README.md).
func fakeInfoDir(t *testing.T) string {
	t.Helper()
	src := filepath.Join("testdata", "dpkg-info")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, e := range entries {
		name, err := url.PathUnescape(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fakeDpkg is a query func over a fixed table that counts its calls.
type fakeDpkg struct {
	mu    sync.Mutex
	table map[string]DpkgPackage
	calls map[string]int
}

func (f *fakeDpkg) query(pkg string) (DpkgPackage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[pkg]++
	if v, ok := f.table[pkg]; ok {
		return v, nil
	}
	return DpkgPackage{}, errors.New("no packages found matching " + pkg)
}

func TestDpkgResolver(t *testing.T) {
	dir, err := filepath.EvalSymlinks(fakeInfoDir(t)) // the lists name resolved paths
	if err != nil {
		t.Fatal(err)
	}
	// A library reached through a symlink that no list names: the
	// resolver must follow it to the listed target.
	hostLib := filepath.Join(dir, "host", "libz.so.1.2.13")
	writeTree(t, dir, map[string]string{"host/libz.so.1.2.13": "z", "zlib1g:amd64.list": "/.\n" + hostLib + "\n"})
	if err := os.Symlink("libz.so.1.2.13", filepath.Join(dir, "host", "libz.so.1")); err != nil {
		t.Fatal(err)
	}
	versions := &fakeDpkg{calls: map[string]int{}, table: map[string]DpkgPackage{
		"libc6:amd64":       {"2.36-9+deb12u14", "amd64"},
		"libc6-arm64-cross": {"2.36-8cross1", "all"},
		"zlib1g:amd64":      {"1:1.2.13.dfsg-1", "amd64"},
		"libc6-dev:amd64":   {"2.36-9+deb12u14", "amd64"},
		// libstdc++6:amd64 is missing: its version lookup fails.
	}}
	res := NewDpkgResolver(dir, versions.query)

	tests := []struct {
		path string
		want Origin
		ok   bool
	}{
		{"/lib/x86_64-linux-gnu/libc.so.6", Origin{"libc6", "2.36-9+deb12u14", "amd64", ""}, true},
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", Origin{"libc6", "2.36-9+deb12u14", "amd64", ""}, true},         // /usr stripped
		{"/lib/x86_64-linux-gnu/libstdc++.so.6", Origin{"libstdc++6", "", "amd64", ""}, true},                  // /usr prefixed, version unknown
		{"/usr/aarch64-linux-gnu/lib/libc.so.6", Origin{"libc6-arm64-cross", "2.36-8cross1", "all", ""}, true}, // arch from dpkg, not the list name
		{filepath.Join(dir, "host", "libz.so.1"), Origin{"zlib1g", "1:1.2.13.dfsg-1", "amd64", ""}, true},
		{"/lib/x86_64-linux-gnu/libnothere.so.1", Origin{}, false},
		{"/usr/share/doc/libc6/changelog.gz", Origin{}, false}, // only in md5sums, which is not read
	}
	for _, tc := range tests {
		got, ok := res.Origin(tc.path)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Origin(%s) = %+v, %v; want %+v, %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}

	t.Run("packages by name", func(t *testing.T) {
		for name, want := range map[string]Origin{
			"libc6-dev:amd64":   {"libc6-dev", "2.36-9+deb12u14", "amd64", ""},
			"libc6-arm64-cross": {"libc6-arm64-cross", "2.36-8cross1", "all", ""},
		} {
			if got, ok := res.Package(name); !ok || got != want {
				t.Errorf("Package(%s) = %+v, %v; want %+v", name, got, ok, want)
			}
		}
		for _, name := range []string{"musl-dev:amd64", "--admindir=/tmp"} {
			if got, ok := res.Package(name); ok {
				t.Errorf("Package(%s) = %+v, true; want not found", name, got)
			}
		}
	})
	t.Run("concurrent use, versions cached", func(t *testing.T) {
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for _, tc := range tests {
					if got, _ := res.Origin(tc.path); got != tc.want {
						t.Errorf("Origin(%s) = %+v, want %+v", tc.path, got, tc.want)
					}
				}
			})
		}
		wg.Wait()
		for pkg, n := range versions.calls {
			if n != 1 {
				t.Errorf("version(%s) called %d times, want once", pkg, n)
			}
		}
	})
}

func TestDpkgResolverMissingDir(t *testing.T) {
	res := NewDpkgResolver(filepath.Join(t.TempDir(), "absent"), func(string) (DpkgPackage, error) {
		t.Error("query called without an index")
		return DpkgPackage{}, nil
	})
	if o, ok := res.Origin("/lib/x86_64-linux-gnu/libc.so.6"); ok {
		t.Errorf("Origin = %+v, true; want no origin", o)
	}
}

func TestLookupPaths(t *testing.T) {
	for in, want := range map[string][]string{
		"/nonexistent-fromscratch/lib/libc.so.6":     {"/nonexistent-fromscratch/lib/libc.so.6", "/usr/nonexistent-fromscratch/lib/libc.so.6"},
		"/usr/nonexistent-fromscratch/lib/libc.so.6": {"/usr/nonexistent-fromscratch/lib/libc.so.6", "/nonexistent-fromscratch/lib/libc.so.6"},
		"/nonexistent-fromscratch/../lib/x.so":       {"/lib/x.so", "/usr/lib/x.so"},
	} {
		if got := lookupPaths(in); !reflect.DeepEqual(got, want) {
			t.Errorf("lookupPaths(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestValidDpkgName(t *testing.T) {
	for name, want := range map[string]bool{
		"libc6": true, "libc6:amd64": true, "libstdc++6:arm64": true, "libc6-arm64-cross": true, "g++-12": true,
		"": false, "x": false, "-W": false, "--admindir=/tmp": false, "libc6:": false, "LibC": false, "a b": false, "libc6:amd64:x": false,
	} {
		if got := validDpkgName(name); got != want {
			t.Errorf("validDpkgName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestDpkgQueryRejectsOptions(t *testing.T) {
	if _, err := DpkgQuery(execRun)("--admindir=/tmp"); err == nil {
		t.Error("DpkgQuery accepted an option as a package name")
	}
}

func TestParseDpkgQuery(t *testing.T) {
	for out, want := range map[string]DpkgPackage{
		"2.36-9+deb12u14 amd64\n": {"2.36-9+deb12u14", "amd64"},
		"2.36-8cross1 all\n":      {"2.36-8cross1", "all"},
	} {
		if got, err := parseDpkgQuery("p", out); err != nil || got != want {
			t.Errorf("parseDpkgQuery(%q) = %+v, %v; want %+v", out, got, err, want)
		}
	}
	for _, out := range []string{"", " amd64\n", "2.36 amd64\n2.36 i386\n"} {
		if got, err := parseDpkgQuery("p", out); err == nil {
			t.Errorf("parseDpkgQuery(%q) = %+v, want an error", out, got)
		}
	}
}

// execRun is Run with os/exec (tests may start processes; the package may not).
func execRun(ctx context.Context, argv, env []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append([]string{}, env...)
	return cmd.CombinedOutput()
}

// The real database: skipped where there is no dpkg.
func TestDpkgResolverOnThisMachine(t *testing.T) {
	const infoDir = "/var/lib/dpkg/info"
	if _, err := os.Stat(infoDir); err != nil {
		t.Skipf("no dpkg database: %v", err)
	}
	if _, err := findDpkgQuery(); err != nil {
		t.Skip(err)
	}
	res := NewDpkgResolver(infoDir, DpkgQuery(execRun))

	t.Run("libc6", func(t *testing.T) {
		const libc = "/lib/x86_64-linux-gnu/libc.so.6"
		if _, err := os.Stat(libc); err != nil {
			t.Skipf("not an amd64 Debian host: %v", err)
		}
		got, err := DpkgQuery(execRun)("libc6:amd64")
		want := got.Version
		if err != nil || want == "" || got.Architecture != "amd64" {
			t.Fatalf("DpkgQuery(libc6:amd64) = %+v, %v", got, err)
		}
		paths := []string{libc}
		if target, err := filepath.EvalSymlinks(libc); err == nil && target != libc {
			paths = append(paths, target) // /usr/lib/... on a usrmerged system
		}
		for _, p := range paths {
			o, ok := res.Origin(p)
			if !ok || o.Package != "libc6" || o.Arch != "amd64" || o.Version != want {
				t.Errorf("Origin(%s) = %+v, %v; want libc6 %s amd64", p, o, ok, want)
			}
		}
	})
	t.Run("libc6-arm64-cross", func(t *testing.T) {
		const lib = "/usr/aarch64-linux-gnu/lib/libc.so.6"
		if _, err := os.Stat(lib); err != nil {
			t.Skipf("libc6-arm64-cross not installed: %v", err)
		}
		o, ok := res.Origin(lib)
		if !ok || o.Package != "libc6-arm64-cross" || o.Version == "" || o.Arch != "all" {
			t.Errorf("Origin(%s) = %+v, %v; want libc6-arm64-cross, all, with a version", lib, o, ok)
		}
	})
	t.Run("unknown package", func(t *testing.T) {
		_, err := DpkgQuery(execRun)("fromscratch-no-such-package")
		if err == nil || !strings.Contains(err.Error(), "dpkg-query") {
			t.Errorf("error = %v, want a dpkg-query error", err)
		}
	})
}
