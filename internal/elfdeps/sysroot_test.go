package elfdeps

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Absolute symbolic links in a sysroot point inside the sysroot.
func TestResolveSysrootSymlinks(t *testing.T) {
	bin := build(t, "gcc", filepath.Join(t.TempDir(), "hello"), src(t, "hello.c"))
	root := t.TempDir()
	multi := filepath.Join(root, "lib", "x86_64-linux-gnu")
	for _, d := range []string{multi, filepath.Join(root, "lib64")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"ld-linux-x86-64.so.2", "libc.so.6"} {
		copyFile(t, filepath.Join("/lib/x86_64-linux-gnu", n), filepath.Join(multi, n))
	}
	if err := os.Symlink("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", filepath.Join(root, "lib64", "ld-linux-x86-64.so.2")); err != nil {
		t.Fatal(err)
	}
	c, err := Resolve(bin, Options{Sysroot: root, LibDirs: []string{multi}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"/hello":                      bin,
		"/lib64/ld-linux-x86-64.so.2": filepath.Join(multi, "ld-linux-x86-64.so.2"),
		"/lib/libc.so.6":              filepath.Join(multi, "libc.so.6"),
	}
	if got := imageFiles(bin, c); !maps.Equal(got, want) {
		t.Errorf("Resolve in a sysroot = %v, want %v", got, want)
	}
}

// The library directories inside a sysroot are part of it: their
// absolute symbolic links point inside the sysroot, not at the host's
// files, and the closure's files keep the sysroot's path when it is
// reached through a link (a cache folder linking a shared build root),
// which is the path the build root's owners are known by.
func TestResolveLibDirsInSysroot(t *testing.T) {
	bin := build(t, "gcc", filepath.Join(t.TempDir(), "hello"), src(t, "hello.c"))
	real := t.TempDir()
	multi, elsewhere := filepath.Join(real, "usr", "lib", "x86_64-linux-gnu"), filepath.Join(real, "opt", "fromscratch-only-here")
	for _, d := range []string{multi, elsewhere} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", filepath.Join(multi, "ld-linux-x86-64.so.2"))
	copyFile(t, "/lib/x86_64-linux-gnu/libc.so.6", filepath.Join(elsewhere, "libc.so.6"))
	// A path that exists only inside the sysroot: followed on the host,
	// the link would dangle.
	if err := os.Symlink("/opt/fromscratch-only-here/libc.so.6", filepath.Join(multi, "libc.so.6")); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "linked")
	if err := os.Symlink(real, root); err != nil {
		t.Fatal(err)
	}
	libs := filepath.Join(root, "usr", "lib", "x86_64-linux-gnu")
	c, err := Resolve(bin, Options{Sysroot: root, LibDirs: []string{libs}, InterpDirs: []string{libs}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"/hello":                      bin,
		"/lib64/ld-linux-x86-64.so.2": filepath.Join(libs, "ld-linux-x86-64.so.2"),
		"/lib/libc.so.6":              filepath.Join(root, "opt", "fromscratch-only-here", "libc.so.6"),
	}
	if got := imageFiles(bin, c); !maps.Equal(got, want) {
		t.Errorf("Resolve in a linked sysroot = %v, want %v", got, want)
	}
}

// The interpreter is looked up under the sysroot, then in InterpDirs.
func TestResolveMissingInterpreter(t *testing.T) {
	bin := build(t, "aarch64-linux-gnu-gcc", filepath.Join(t.TempDir(), "hello"), src(t, "hello.c"))
	root := t.TempDir()
	_, err := Resolve(bin, Options{Sysroot: root, LibDirs: []string{"/usr/aarch64-linux-gnu/lib"}, InterpDirs: []string{"/lib/x86_64-linux-gnu"}})
	want := bin + " needs interpreter /lib/ld-linux-aarch64.so.1, which is not in any searched directory (searched " +
		filepath.Join(root, "lib") + ", /lib/x86_64-linux-gnu)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Resolve without the interpreter = %v, want it to contain %q", err, want)
	}
}
