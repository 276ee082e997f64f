package elfdeps

import (
	"maps"
	"path"
	"path/filepath"
	"sort"
	"testing"
)

// chrootCase is a program, how to build it, and where its runtime is.
type chrootCase struct {
	name, qemu string
	build      func(t *testing.T, dir string) string
	opts       Options
	stdout     string
}

func compiled(cc, source string, args ...string) func(t *testing.T, dir string) string {
	return func(t *testing.T, dir string) string {
		return build(t, cc, filepath.Join(dir, "hello"), append([]string{src(t, source)}, args...)...)
	}
}

func chrootCases() []chrootCase {
	host := Options{LibDirs: hostLibDirs}
	musl := Options{LibDirs: []string{"/usr/lib/x86_64-linux-musl"}}
	cases := []chrootCase{
		{"amd64 C", "", compiled("gcc", "hello.c"), host, "hello from C\n"},
		{"amd64 C++", "", compiled("g++", "hello.cc"), host, "hello from C++\n"},
		{"amd64 libm pthread", "", compiled("gcc", "mathpthread.c", "-lm", "-lpthread"), host, "hello from math 12\n"},
		{"amd64 musl", "", compiled("musl-gcc", "hello.c"), musl, "hello from C\n"},
		{"amd64 origin", "", func(t *testing.T, dir string) string { return originTree(t, "gcc", dir) }, host, "hello from foo 42\n"},
		{"amd64 musl origin", "", func(t *testing.T, dir string) string { return originTree(t, "musl-gcc", dir) }, musl, "hello from foo 42\n"},
	}
	for _, x := range crosses {
		opts := Options{Sysroot: x.sysroot, LibDirs: []string{filepath.Join(x.sysroot, "lib")}}
		cases = append(cases,
			chrootCase{x.arch + " C", x.qemu, compiled(x.cc, "hello.c"), opts, "hello from C\n"},
			chrootCase{x.arch + " C++", x.qemu, compiled(x.cxx, "hello.cc"), opts, "hello from C++\n"})
	}
	return cases
}

// Each closure, placed into an empty root with the program at /hello,
// runs under chroot (foreign architectures through binfmt_misc and qemu).
func TestChrootRuns(t *testing.T) {
	for _, tc := range chrootCases() {
		t.Run(tc.name, func(t *testing.T) {
			canChroot(t, tc.qemu)
			bin := tc.build(t, t.TempDir())
			c, err := Resolve(bin, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			files := imageFiles(bin, c)
			out, err := runInRoot(t, files)
			if err != nil || out != tc.stdout {
				t.Errorf("running /hello in %v: %v\n%s\nwant %q", sortedKeys(files), err, out, tc.stdout)
			}
		})
	}
}

// Verify accepts a root exactly when the loader runs it: the closure with
// one file removed, and with one library moved to each directory that
// could plausibly be searched.
func TestVerifyAgreesWithLoader(t *testing.T) {
	for _, tc := range chrootCases() {
		switch tc.name {
		case "amd64 C++", "amd64 origin", "amd64 musl origin", "arm64 C++", "riscv64 C":
		default:
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			canChroot(t, tc.qemu)
			bin := tc.build(t, t.TempDir())
			c, err := Resolve(bin, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			info, err := InspectFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			full := imageFiles(bin, c)
			roots := map[string]map[string]string{"full": full}
			for _, f := range c.Files {
				root := maps.Clone(full)
				delete(root, f.ImagePath)
				roots["without "+f.ImagePath] = root
			}
			var moved File // the last library
			for _, f := range c.Files {
				if f.Role == "library" {
					moved = f
				}
			}
			for _, d := range []string{"/lib64", "/usr/lib64", "/usr/lib", "/usr/local/lib", "/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/lib/riscv64-linux-gnu"} {
				root := maps.Clone(full)
				delete(root, moved.ImagePath)
				root[path.Join(d, path.Base(moved.ImagePath))] = moved.Source
				roots[moved.ImagePath+" moved to "+d] = root
			}
			for _, name := range sortedKeys(roots) {
				verr := Verify(roots[name], platformOf(info))
				out, rerr := runInRoot(t, roots[name])
				t.Logf("%s: runs %v", name, rerr == nil)
				if (verr == nil) != (rerr == nil) {
					t.Errorf("%s: Verify says %v, running says %v\n%s", name, verr, rerr, out)
				}
			}
		})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
