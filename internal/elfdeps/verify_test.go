package elfdeps

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// cxxClosure builds the C++ program for amd64 and returns its image files.
func cxxClosure(t *testing.T) map[string]string {
	t.Helper()
	bin := build(t, "g++", filepath.Join(t.TempDir(), "hello"), src(t, "hello.cc"))
	c, err := Resolve(bin, Options{LibDirs: hostLibDirs})
	if err != nil {
		t.Fatal(err)
	}
	return imageFiles(bin, c)
}

func TestVerify(t *testing.T) {
	full := cxxClosure(t)
	notELF := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(notELF, []byte("root:x:0:0::/:/hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	glibcDirs := "(searched /lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu, /lib, /usr/lib)"
	for _, tc := range []struct {
		name     string
		edit     func(files map[string]string)
		platform recipe.Platform
		want     string // the whole error, "" for success
	}{
		{"full closure", func(map[string]string) {}, recipe.AMD64, ""},
		{"with a text file", func(f map[string]string) { f["/etc/passwd"] = notELF }, recipe.AMD64, ""},
		{"library under /usr/lib", func(f map[string]string) {
			f["/usr/lib/libm.so.6"] = f["/lib/libm.so.6"]
			delete(f, "/lib/libm.so.6")
		}, recipe.AMD64, ""},
		{"no interpreter", func(f map[string]string) { delete(f, "/lib64/ld-linux-x86-64.so.2") }, recipe.AMD64,
			"/hello needs interpreter /lib64/ld-linux-x86-64.so.2, which is not in the image\n" +
				"/lib/libc.so.6 needs interpreter /lib64/ld-linux-x86-64.so.2, which is not in the image"},
		{"no libgcc_s", func(f map[string]string) { delete(f, "/lib/libgcc_s.so.1") }, recipe.AMD64,
			"/hello needs library libgcc_s.so.1, which is not in the image " + glibcDirs},
		{"no libm", func(f map[string]string) { delete(f, "/lib/libm.so.6") }, recipe.AMD64,
			"/lib/libstdc++.so.6 needs library libm.so.6, which is not in the image " + glibcDirs},
		// The loader does not search /lib64 (see the chroot test).
		{"libc under /lib64", func(f map[string]string) {
			f["/lib64/libc.so.6"] = f["/lib/libc.so.6"]
			delete(f, "/lib/libc.so.6")
		}, recipe.AMD64,
			"/hello needs library libc.so.6, which is not in the image " + glibcDirs},
		{"wrong machine", func(f map[string]string) {}, recipe.ARM64,
			"/hello is EM_X86_64 ELFCLASS64 ELFDATA2LSB, linux/arm64 needs EM_AARCH64 ELFCLASS64 ELFDATA2LSB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := maps.Clone(full)
			tc.edit(files)
			err := Verify(files, factsOf(t, tc.platform))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Verify = %v, want success", err)
			case tc.want != "" && err == nil:
				t.Errorf("Verify succeeded, want %q", tc.want)
			case tc.want != "" && !strings.HasPrefix(err.Error(), tc.want):
				t.Errorf("Verify =\n%v\nwant it to start with\n%s", err, tc.want)
			}
		})
	}
}

func TestVerifyMissingError(t *testing.T) {
	files := cxxClosure(t)
	delete(files, "/lib/libstdc++.so.6")
	var miss *MissingError
	if err := Verify(files, factsOf(t, recipe.AMD64)); !errors.As(err, &miss) ||
		miss.NeededBy != "/hello" || miss.Name != "libstdc++.so.6" || miss.Role != "library" {
		t.Errorf("Verify = %v, want a MissingError for libstdc++.so.6 needed by /hello", err)
	}
}

// Verify agrees with Resolve for every kind of closure Resolve makes.
func TestVerifyAgreesWithResolve(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		bin  func(t *testing.T) string
		opts Options
	}{
		{"amd64 musl", func(t *testing.T) string {
			return build(t, "musl-gcc", filepath.Join(dir, "musl"), src(t, "hello.c"))
		}, Options{LibDirs: []string{"/usr/lib/x86_64-linux-musl"}}},
		{"amd64 origin", func(t *testing.T) string {
			return originTree(t, "gcc", filepath.Join(dir, "origin"))
		}, Options{LibDirs: hostLibDirs}},
		{"arm64 C++", func(t *testing.T) string {
			return build(t, "aarch64-linux-gnu-g++", filepath.Join(dir, "arm64"), src(t, "hello.cc"))
		}, Options{Sysroot: "/usr/aarch64-linux-gnu", LibDirs: []string{"/usr/aarch64-linux-gnu/lib"}}},
		{"armhf C++", func(t *testing.T) string {
			return build(t, "arm-linux-gnueabihf-g++", filepath.Join(dir, "armhf"), src(t, "hello.cc"))
		}, Options{Sysroot: "/usr/arm-linux-gnueabihf", LibDirs: []string{"/usr/arm-linux-gnueabihf/lib"}}},
		{"riscv64 C++", func(t *testing.T) string {
			return build(t, "riscv64-linux-gnu-g++", filepath.Join(dir, "riscv64"), src(t, "hello.cc"))
		}, Options{Sysroot: "/usr/riscv64-linux-gnu", LibDirs: []string{"/usr/riscv64-linux-gnu/lib"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := tc.bin(t)
			c, err := Resolve(bin, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			info, err := InspectFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			if err := Verify(imageFiles(bin, c), platformOf(info)); err != nil {
				t.Error(err)
			}
		})
	}
}
