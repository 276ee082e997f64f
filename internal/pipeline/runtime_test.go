package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/testutil"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// TestClosureFromPinnedRuntime: an arm64 dynamic cell resolves its closure
// from the unpacked pinned packages, not from the cross packages, and a
// new pin (another sha256) changes the image key. The cache is filled by
// hand (the files of the cross packages standing in for the unpacked
// libc6), so no process runs; the real download is internal/debian's
// TestRealArm64Runtime.
func TestClosureFromPinnedRuntime(t *testing.T) {
	testutil.NeedFile(t, "/usr/aarch64-linux-gnu/lib/libc.so.6")
	root, cache := t.TempDir(), t.TempDir()
	pin := debian.Pin{Name: "libc6", Version: "2.36-9+deb12u14", Architecture: "arm64", Source: "glibc",
		Filename: "pool/main/g/glibc/libc6_2.36-9+deb12u14_arm64.deb", URL: "http://deb.debian.org/debian/pool/main/g/glibc/libc6_2.36-9%2bdeb12u14_arm64.deb",
		Size: 1, SHA256: strings.Repeat("a", 64)}
	fill := func(p debian.Pin) {
		dir := debian.UnpackedDir(cache, p)
		for _, f := range []string{"libc.so.6", "ld-linux-aarch64.so.1"} {
			data, err := os.ReadFile(filepath.Join("/usr/aarch64-linux-gnu/lib", f))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, "lib/aarch64-linux-gnu", f), data)
		}
		if err := os.Symlink("aarch64-linux-gnu/ld-linux-aarch64.so.1", filepath.Join(dir, "lib/ld-linux-aarch64.so.1")); err != nil {
			t.Fatal(err)
		}
	}
	writeLock := func(p debian.Pin) {
		l := &debian.LockFile{Schema: debian.LockSchema, Suite: Suite, Platforms: []debian.PlatformLock{{Platform: "linux/arm64", Arch: "arm64", Packages: []debian.Pin{p}}}}
		if err := debian.WriteLock(LockPath(root), l); err != nil {
			t.Fatal(err)
		}
	}
	fill(pin)
	writeLock(pin)
	noProcess := func(_ context.Context, c toolchain.Command, _ []string) ([]byte, error) {
		t.Errorf("started %v", c.Args)
		return nil, os.ErrInvalid
	}
	b := New(Options{Root: root, CacheDir: cache}, WithRunner(noProcess))
	r := &Result{Binary: filepath.Join(repoRoot(t), "internal/elfdeps/testdata/hello-arm64-dynamic"), BinarySHA256: "x"}
	r.Job = Job{Recipe: &recipe.Recipe{Name: "hello"}, Cell: recipe.Cell{Platform: recipe.ARM64, Linkage: recipe.Dynamic},
		Tool: toolchain.Status{Target: toolchain.Target{Platform: recipe.ARM64, Sysroot: "/usr/aarch64-linux-gnu", LibDirs: []string{"/usr/aarch64-linux-gnu/lib"},
			RuntimeArch: "arm64", RuntimePackages: []string{"libc6"}}}}
	if err := b.closure(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	if r.Runtime == nil {
		t.Fatal("no Runtime in the result")
	}
	for _, f := range r.Closure.Files {
		if got, _, ok := r.Runtime.Owner(f.Source); !ok || got != pin {
			t.Errorf("%s comes from %s, not from the pinned libc6", f.ImagePath, f.Source)
		}
	}
	key := b.imageKey(r)

	other := pin
	other.SHA256 = strings.Repeat("b", 64)
	fill(other)
	writeLock(other)
	b = New(Options{Root: root, CacheDir: cache}, WithRunner(noProcess)) // the next run
	r2 := &Result{Binary: r.Binary, BinarySHA256: "x", Job: r.Job}
	if err := b.closure(t.Context(), r2); err != nil {
		t.Fatal(err)
	}
	if b.imageKey(r2) == key {
		t.Error("a new pin left the image key unchanged")
	}

	r.Job.Tool.Target.RuntimePackages = []string{"libc6", "libstdc++6"}
	if err := b.closure(t.Context(), r); err == nil || !strings.Contains(err.Error(), debian.RefreshTarget()) {
		t.Errorf("unpinned package: %v, want an error naming %s", err, debian.RefreshTarget())
	}
}

func writeFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRuntimeWants: the repository's toolchains want libc6, libgcc-s1 and
// libstdc++6 for arm64, armhf and the five platforms added after them
// (i386, armel, ppc64el, s390x, mips64el), a note for riscv64 and nothing for amd64
// (its host libc6), and the checked-in lock pins every one of them.
func TestRuntimeWants(t *testing.T) {
	defs, err := toolchain.LoadAll(filepath.Join(repoRoot(t), "toolchains"))
	if err != nil {
		t.Fatal(err)
	}
	wants, err := RuntimeWants(defs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]debian.Want{}
	for _, w := range wants {
		got[w.Platform] = w
	}
	for p, arch := range map[string]string{"linux/arm64": "arm64", "linux/arm/v7": "armhf", "linux/386": "i386",
		"linux/arm/v6": "armel", "linux/ppc64le": "ppc64el", "linux/s390x": "s390x", "linux/mips64le": "mips64el"} {
		if w := got[p]; w.Arch != arch || strings.Join(w.Packages, " ") != "libc6 libgcc-s1 libstdc++6" {
			t.Errorf("%s: %+v", p, w)
		}
	}
	if w := got["linux/riscv64"]; w.Arch != "" || !strings.Contains(w.Note, "no riscv64 port") {
		t.Errorf("riscv64: %+v", w)
	}
	if _, ok := got["linux/amd64"]; ok {
		t.Error("amd64 wants pinned packages")
	}
	lock, err := debian.ReadLock(LockPath(repoRoot(t)))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range wants {
		pl, ok := lock.Platform(w.Platform)
		if !ok || pl.Arch != w.Arch || pl.RuntimeNote != w.Note {
			t.Errorf("toolchains/%s: %s is %+v, the toolchains want %+v: run %s", debian.LockFileName, w.Platform, pl, w, debian.RefreshTarget())
			continue
		}
		if _, err := lock.Pins(w.Platform, w.Packages...); w.Arch != "" && err != nil {
			t.Error(err)
		}
	}
}
