package release

import (
	"errors"
	"net/url"
	"os"
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

// fakeVersions is a version func over a fixed table that counts its calls.
type fakeVersions struct {
	mu    sync.Mutex
	table map[string]string
	calls map[string]int
}

func (f *fakeVersions) version(pkg string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[pkg]++
	if v, ok := f.table[pkg]; ok {
		return v, nil
	}
	return "", errors.New("no packages found matching " + pkg)
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
	versions := &fakeVersions{calls: map[string]int{}, table: map[string]string{
		"libc6:amd64":       "2.36-9+deb12u14",
		"libc6-arm64-cross": "2.36-8cross1",
		"zlib1g:amd64":      "1:1.2.13.dfsg-1",
		// libstdc++6:amd64 is missing: its version lookup fails.
	}}
	res := NewDpkgResolver(dir, versions.version)

	tests := []struct {
		path string
		want Origin
		ok   bool
	}{
		{"/lib/x86_64-linux-gnu/libc.so.6", Origin{"libc6", "2.36-9+deb12u14", "amd64"}, true},
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", Origin{"libc6", "2.36-9+deb12u14", "amd64"}, true},      // /usr stripped
		{"/lib/x86_64-linux-gnu/libstdc++.so.6", Origin{"libstdc++6", "", "amd64"}, true},               // /usr prefixed, version unknown
		{"/usr/aarch64-linux-gnu/lib/libc.so.6", Origin{"libc6-arm64-cross", "2.36-8cross1", ""}, true}, // no arch in the list name
		{filepath.Join(dir, "host", "libz.so.1"), Origin{"zlib1g", "1:1.2.13.dfsg-1", "amd64"}, true},
		{"/lib/x86_64-linux-gnu/libnothere.so.1", Origin{}, false},
		{"/usr/share/doc/libc6/changelog.gz", Origin{}, false}, // only in md5sums, which is not read
	}
	for _, tc := range tests {
		got, ok := res.Origin(tc.path)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Origin(%s) = %+v, %v; want %+v, %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}

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
	res := NewDpkgResolver(filepath.Join(t.TempDir(), "absent"), func(string) (string, error) {
		t.Error("version called without an index")
		return "", nil
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

func TestDpkgVersionRejectsOptions(t *testing.T) {
	if _, err := DpkgVersion("--admindir=/tmp"); err == nil {
		t.Error("DpkgVersion accepted an option as a package name")
	}
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
	res := NewDpkgResolver(infoDir, DpkgVersion)

	t.Run("libc6", func(t *testing.T) {
		const libc = "/lib/x86_64-linux-gnu/libc.so.6"
		if _, err := os.Stat(libc); err != nil {
			t.Skipf("not an amd64 Debian host: %v", err)
		}
		want, err := DpkgVersion("libc6:amd64")
		if err != nil || want == "" {
			t.Fatalf("DpkgVersion(libc6:amd64) = %q, %v", want, err)
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
		if !ok || o.Package != "libc6-arm64-cross" || o.Version == "" {
			t.Errorf("Origin(%s) = %+v, %v; want libc6-arm64-cross with a version", lib, o, ok)
		}
	})
	t.Run("unknown package", func(t *testing.T) {
		_, err := DpkgVersion("fromscratch-no-such-package")
		if err == nil || !strings.Contains(err.Error(), "dpkg-query") {
			t.Errorf("error = %v, want a dpkg-query error", err)
		}
	})
}
