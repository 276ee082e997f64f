package elfdeps

import (
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// Resolve must find what the real loader finds: same DT_NEEDED names, same
// real files, same interpreter.
func TestResolveMatchesLdd(t *testing.T) {
	if _, err := exec.LookPath("ldd"); err != nil {
		t.Skip("skipping: ldd is not installed")
	}
	check := func(t *testing.T, bin string, atLeast int) {
		out, err := exec.Command("ldd", bin).CombinedOutput()
		if err != nil {
			t.Fatalf("ldd %s: %v\n%s", bin, err, out)
		}
		wantLibs, wantInterp := listed(t, string(out))
		c, err := Resolve(bin, Options{LibDirs: hostLibDirs})
		if err != nil {
			t.Fatal(err)
		}
		gotLibs, gotInterp := closureMap(c)
		if !maps.Equal(gotLibs, wantLibs) || gotInterp != wantInterp {
			t.Errorf("Resolve(%s):\n%v %v\nldd:\n%v %v", bin, gotInterp, gotLibs, wantInterp, wantLibs)
		}
		if len(gotLibs) < atLeast {
			t.Errorf("Resolve(%s) found %d libraries, want at least %d", bin, len(gotLibs), atLeast)
		}
	}
	dir := t.TempDir()
	t.Run("C", func(t *testing.T) {
		check(t, build(t, "gcc", filepath.Join(dir, "c"), src(t, "hello.c")), 1)
	})
	t.Run("C++", func(t *testing.T) {
		check(t, build(t, "g++", filepath.Join(dir, "cc"), src(t, "hello.cc")), 4)
	})
	t.Run("libm and pthread", func(t *testing.T) {
		check(t, build(t, "gcc", filepath.Join(dir, "m"), src(t, "mathpthread.c"), "-lm", "-lpthread"), 2)
	})
	t.Run("system programs", func(t *testing.T) {
		var big []string
		for _, p := range []string{"/usr/bin/curl", "/usr/bin/ssh", "/usr/bin/gdb", "/usr/bin/systemd-analyze", "/usr/bin/git"} {
			if out, err := exec.Command("ldd", p).Output(); err == nil && strings.Count(string(out), " => ") >= 10 {
				big = append(big, p)
			}
		}
		if len(big) == 0 {
			t.Skip("skipping: no program with 10 or more libraries among curl, ssh, gdb, systemd-analyze, git")
		}
		for _, p := range big {
			t.Run(filepath.Base(p), func(t *testing.T) { check(t, p, 10) })
		}
	})
}

// The cross closures must be what the target's own loader lists when it
// runs (under qemu) with the sysroot as its library path.
func TestResolveCross(t *testing.T) {
	for _, x := range crosses {
		t.Run(x.arch, func(t *testing.T) {
			t.Parallel()
			libdir := filepath.Join(x.sysroot, "lib")
			bin := build(t, x.cxx, filepath.Join(t.TempDir(), "hello"), src(t, "hello.cc"))
			info, err := InspectFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Resolve(bin, Options{Sysroot: x.sysroot, LibDirs: []string{libdir}})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			for _, img := range []string{info.Interp, "/lib/libc.so.6", "/lib/libgcc_s.so.1", "/lib/libm.so.6", "/lib/libstdc++.so.6"} {
				real, err := filepath.EvalSymlinks(filepath.Join(libdir, filepath.Base(img)))
				if err != nil {
					t.Fatal(err)
				}
				want[img] = real
			}
			got := imageFiles(bin, c)
			delete(got, "/hello")
			if !maps.Equal(got, want) {
				t.Errorf("Resolve(%s) = %v, want %v", x.arch, got, want)
			}

			// The interpreter is not at Sysroot+Interp here: InterpDirs finds it.
			if _, err := os.Stat(info.Interp); err == nil {
				t.Logf("%s exists on the host; not checking InterpDirs", info.Interp)
			} else if c2, err := Resolve(bin, Options{LibDirs: []string{libdir}, InterpDirs: []string{libdir}}); err != nil {
				t.Error(err)
			} else if !slices.Equal(c2.Files, c.Files) {
				t.Errorf("Resolve with InterpDirs = %v, want %v", c2.Files, c.Files)
			}

			qemu := "qemu-" + x.qemu + "-static"
			if _, err := exec.LookPath(qemu); err != nil {
				t.Skipf("skipping the comparison with the loader: %s is not installed", qemu)
			}
			ldso := filepath.Join(libdir, filepath.Base(info.Interp))
			out, err := exec.Command(qemu, ldso, "--library-path", libdir, "--list", bin).CombinedOutput()
			if err != nil {
				t.Fatalf("%s %s --list: %v\n%s", qemu, ldso, err, out)
			}
			wantLibs, wantInterp := listed(t, string(out))
			if gotLibs, gotInterp := closureMap(c); !maps.Equal(gotLibs, wantLibs) || gotInterp != wantInterp {
				t.Errorf("Resolve: %v %v\nloader: %v %v", gotInterp, gotLibs, wantInterp, wantLibs)
			}
		})
	}
}

func TestResolveMusl(t *testing.T) {
	dir := t.TempDir()
	ldso, err := filepath.EvalSymlinks("/lib/ld-musl-x86_64.so.1")
	if err != nil {
		t.Skipf("skipping: musl's loader is not installed: %v", err)
	}
	interp := File{ImagePath: "/lib/ld-musl-x86_64.so.1", Source: ldso, Role: "interpreter"}
	if st, err := os.Stat(ldso); err == nil {
		interp.Size = st.Size()
	}
	lib := build(t, "musl-gcc", filepath.Join(dir, "libbar.so"), "-shared", "-fPIC", "-Wl,-soname,libbar.so", src(t, "bar.c"))
	opts := Options{LibDirs: []string{dir, "/usr/lib/x86_64-linux-musl"}}
	for _, tc := range []struct {
		name string
		args []string
		want []File
	}{
		{"hello", []string{src(t, "hello.c")}, []File{interp}},
		{"libbar", []string{src(t, "usefoo.c"), src(t, "foo.c"), "-L" + dir, "-lbar", "-lm", "-lpthread"},
			[]File{interp, {ImagePath: "/lib/libbar.so", Source: lib, Size: fileSize(t, lib), Role: "library"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := build(t, "musl-gcc", filepath.Join(dir, tc.name), tc.args...)
			c, err := Resolve(bin, opts)
			if err != nil {
				t.Fatal(err)
			}
			if c.Interp != interp.ImagePath || !slices.Equal(c.Files, tc.want) {
				t.Errorf("Resolve = %+v, want %+v", c.Files, tc.want)
			}
			// musl's loader lists libc.so as itself.
			cmd := exec.Command(ldso, "--list", bin)
			cmd.Env = []string{"LD_LIBRARY_PATH=" + dir}
			out, _ := cmd.CombinedOutput()
			wantLibs, wantInterp := listed(t, string(out))
			if wantLibs["libc.so"] != wantInterp[1] {
				t.Errorf("musl lists libc.so as %s, want its loader %s", wantLibs["libc.so"], wantInterp[1])
			}
			delete(wantLibs, "libc.so")
			if gotLibs, gotInterp := closureMap(c); !maps.Equal(gotLibs, wantLibs) || gotInterp != wantInterp {
				t.Errorf("Resolve: %v %v\nmusl --list: %v %v", gotInterp, gotLibs, wantInterp, wantLibs)
			}
		})
	}
}

// originTree builds dir/bin/app with DT_RUNPATH $ORIGIN/../private, and
// dir/private/libfoo.so (DT_RUNPATH $ORIGIN) needing dir/private/libbar.so.
func originTree(t *testing.T, cc, dir string) string {
	priv := filepath.Join(dir, "private")
	for _, d := range []string{priv, filepath.Join(dir, "bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	build(t, cc, filepath.Join(priv, "libbar.so"), "-shared", "-fPIC", "-Wl,-soname,libbar.so", src(t, "bar.c"))
	build(t, cc, filepath.Join(priv, "libfoo.so"), "-shared", "-fPIC", "-Wl,-soname,libfoo.so", src(t, "foo.c"),
		"-L"+priv, "-lbar", "-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN")
	return build(t, cc, filepath.Join(dir, "bin", "app"), src(t, "usefoo.c"),
		"-L"+priv, "-lfoo", "-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN/../private")
}

func TestResolveOrigin(t *testing.T) {
	dir := t.TempDir()
	bin := originTree(t, "gcc", dir)
	c, err := Resolve(bin, Options{LibDirs: hostLibDirs})
	if err != nil {
		t.Fatal(err)
	}
	got := imageFiles(bin, c)
	for img, want := range map[string]string{
		"/private/libfoo.so": filepath.Join(dir, "private", "libfoo.so"),
		"/private/libbar.so": filepath.Join(dir, "private", "libbar.so"),
	} {
		if got[img] != want {
			t.Errorf("image file %s comes from %q, want %s (closure %v)", img, got[img], want, got)
		}
	}
	if err := Verify(got, factsOf(t, recipe.AMD64)); err != nil {
		t.Error(err)
	}

	// Elsewhere in the image, $ORIGIN moves with the binary.
	c, err = Resolve(bin, Options{LibDirs: hostLibDirs, ImagePath: "/opt/app/bin/hello"})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"/opt/app/bin/hello": bin}
	for _, f := range c.Files {
		files[f.ImagePath] = f.Source
	}
	if files["/opt/app/private/libfoo.so"] == "" || files["/opt/app/private/libbar.so"] == "" {
		t.Errorf("with the binary at /opt/app/bin/hello, closure %v lacks /opt/app/private/lib{foo,bar}.so", files)
	}
	if err := Verify(files, factsOf(t, recipe.AMD64)); err != nil {
		t.Error(err)
	}
}

// DT_RPATH of the program also serves its libraries' DT_NEEDED; DT_RUNPATH
// serves only the object that carries it. ldd agrees in both cases.
func TestResolveRPathInheritance(t *testing.T) {
	for _, tc := range []struct {
		dtags string
		found bool
	}{{"--disable-new-dtags", true}, {"--enable-new-dtags", false}} {
		t.Run(tc.dtags, func(t *testing.T) {
			dir := t.TempDir()
			priv := filepath.Join(dir, "private")
			if err := os.Mkdir(priv, 0o755); err != nil {
				t.Fatal(err)
			}
			build(t, "gcc", filepath.Join(priv, "libbar.so"), "-shared", "-fPIC", "-Wl,-soname,libbar.so", src(t, "bar.c"))
			build(t, "gcc", filepath.Join(priv, "libfoo.so"), "-shared", "-fPIC", "-Wl,-soname,libfoo.so", src(t, "foo.c"), "-L"+priv, "-lbar")
			bin := build(t, "gcc", filepath.Join(dir, "app"), src(t, "usefoo.c"), "-L"+priv, "-Wl,-rpath-link,"+priv, "-lfoo", "-Wl,"+tc.dtags, "-Wl,-rpath,$ORIGIN/private")
			c, err := Resolve(bin, Options{LibDirs: hostLibDirs})
			ldd, _ := exec.Command("ldd", bin).CombinedOutput()
			if !tc.found {
				var miss *MissingError
				if !errors.As(err, &miss) || miss.Name != "libbar.so" || miss.NeededBy != filepath.Join(priv, "libfoo.so") {
					t.Errorf("Resolve = %v, want libbar.so missing for %s/libfoo.so", err, priv)
				}
				if !strings.Contains(string(ldd), "libbar.so => not found") {
					t.Errorf("ldd finds libbar.so:\n%s", ldd)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := imageFiles(bin, c)["/private/libbar.so"]; got != filepath.Join(priv, "libbar.so") {
				t.Errorf("/private/libbar.so comes from %q, want %s/libbar.so", got, priv)
			}
			if !strings.Contains(string(ldd), "libbar.so => "+priv+"/libbar.so") {
				t.Errorf("ldd does not find libbar.so in %s:\n%s", priv, ldd)
			}
		})
	}
}

func TestResolveMissing(t *testing.T) {
	dir := t.TempDir()
	gone := filepath.Join(dir, "gone")
	if err := os.Mkdir(gone, 0o755); err != nil {
		t.Fatal(err)
	}
	build(t, "gcc", filepath.Join(gone, "libbar.so"), "-shared", "-fPIC", "-Wl,-soname,libbar.so", src(t, "bar.c"))
	build(t, "gcc", filepath.Join(gone, "libfoo.so"), "-shared", "-fPIC", "-Wl,-soname,libfoo.so", src(t, "foo.c"), "-L"+gone, "-lbar")
	bin := build(t, "gcc", filepath.Join(dir, "app"), src(t, "usefoo.c"), "-L"+gone, "-Wl,--no-as-needed", "-lfoo", "-lbar")
	if err := os.RemoveAll(gone); err != nil {
		t.Fatal(err)
	}
	dirs := append([]string{gone}, hostLibDirs...)
	_, err := Resolve(bin, Options{LibDirs: dirs})
	if err == nil {
		t.Fatal("Resolve succeeded with libfoo.so and libbar.so deleted")
	}
	for _, want := range append([]string{bin, "library libfoo.so", "library libbar.so"}, dirs...) {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	var miss *MissingError
	if !errors.As(err, &miss) || !slices.Equal(miss.Searched, dirs) {
		t.Errorf("MissingError searched %v, want %v", miss, dirs)
	}
}

func TestResolveStatic(t *testing.T) {
	bin := build(t, "gcc", filepath.Join(t.TempDir(), "hello"), "-static", src(t, "hello.c"))
	c, err := Resolve(bin, Options{LibDirs: hostLibDirs})
	if err != nil || c.Interp != "" || len(c.Files) != 0 {
		t.Errorf("Resolve(static) = %+v, %v; want an empty closure", c, err)
	}
}

// A zig glibc binary lists the loader among its DT_NEEDED; linking the
// loader explicitly gives the same DT_NEEDED. No second file may appear.
func TestResolveLoaderInNeeded(t *testing.T) {
	bin := build(t, "aarch64-linux-gnu-gcc", filepath.Join(t.TempDir(), "hello"),
		src(t, "hello.c"), "-Wl,--no-as-needed", "/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1")
	info, err := InspectFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(info.Needed, "ld-linux-aarch64.so.1") {
		t.Fatalf("NEEDED %q lacks ld-linux-aarch64.so.1", info.Needed)
	}
	c, err := Resolve(bin, Options{Sysroot: "/usr/aarch64-linux-gnu", LibDirs: []string{"/usr/aarch64-linux-gnu/lib"}})
	if err != nil {
		t.Fatal(err)
	}
	var images []string
	for _, f := range c.Files {
		images = append(images, f.ImagePath)
	}
	if want := []string{"/lib/ld-linux-aarch64.so.1", "/lib/libc.so.6"}; !slices.Equal(images, want) {
		t.Errorf("closure %q, want %q", images, want)
	}
}

// Candidates of another machine are skipped, as the loader skips them.
func TestResolveSkipsOtherMachine(t *testing.T) {
	bin := build(t, "aarch64-linux-gnu-gcc", filepath.Join(t.TempDir(), "hello"), src(t, "hello.c"))
	opts := Options{Sysroot: "/usr/aarch64-linux-gnu", LibDirs: []string{"/usr/lib/x86_64-linux-gnu", "/usr/aarch64-linux-gnu/lib"}}
	c, err := Resolve(bin, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := imageFiles(bin, c)["/lib/libc.so.6"]; got != "/usr/aarch64-linux-gnu/lib/libc.so.6" {
		t.Errorf("libc.so.6 comes from %q, want the aarch64 one", got)
	}
	opts.LibDirs = opts.LibDirs[:1]
	_, err = Resolve(bin, opts)
	if err == nil || !strings.Contains(err.Error(), "skipped /usr/lib/x86_64-linux-gnu/libc.so.6 (EM_X86_64 ELFCLASS64 ELFDATA2LSB, linux/arm64 needs EM_AARCH64 ELFCLASS64 ELFDATA2LSB)") {
		t.Errorf("Resolve with only x86_64 libraries = %v, want the x86_64 libc.so.6 skipped", err)
	}
}

func fileSize(t *testing.T, p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
