package debian

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/testutil"
)

// TestRealResolveRoot resolves the checked-in lock's request against the
// real mirror: the closure holds every requested package and what the
// compilers need, and every file is pinned.
func TestRealResolveRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("talks to the Debian mirror")
	}
	sources := machineSources(t)
	checked, err := ReadRootLock("../../toolchains/" + RootLockFileName)
	if err != nil {
		t.Fatal(err)
	}
	mirror, _ := ParseSources(sources, "bookworm")
	start := time.Now()
	l, err := ResolveRoot(t.Context(), execRun, NewApt(t.TempDir(), RootArch, "bookworm", mirror), checked.Requested)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("resolved %d packages from %d requested in %s (digest %.12s; checked-in %.12s)",
		len(l.Packages), len(l.Requested), time.Since(start).Round(time.Millisecond), l.Digest, checked.Digest)
	names := map[string]bool{}
	for _, p := range l.Packages {
		names[p.Name] = true
	}
	for _, want := range append(slices.Clone(l.Requested), "cpp-12", "libc6", "libgcc-12-dev", "binutils-aarch64-linux-gnu", "musl-dev", "perl-base") {
		if !names[want] {
			t.Errorf("the closure lacks %s", want)
		}
	}
}

// TestRealBuildRoot assembles the checked-in build root (fetched into the
// shared cache, FROMSCRATCH_CACHE), checks that a second assembly gives
// the same tree, and runs the tools builds use inside it with bubblewrap.
func TestRealBuildRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("fetches and assembles the whole build root")
	}
	sources := machineSources(t)
	bwrap, err := exec.LookPath("bwrap")
	if err != nil {
		testutil.Missing(t, "bubblewrap is not installed: %v", err)
	}
	lock, err := ReadRootLock("../../toolchains/" + RootLockFileName)
	if err != nil {
		t.Fatal(err)
	}
	mirror, _ := ParseSources(sources, "bookworm")
	cache := testutil.CacheDir(t)
	f := &Fetcher{CacheDir: cache, Mirror: mirror}
	start := time.Now()
	debs, err := f.FetchAll(t.Context(), lock.Packages)
	if err != nil {
		t.Fatal(err)
	}
	fetched := time.Since(start)
	start = time.Now()
	root, err := EnsureRoot(t.Context(), cache, lock, f)
	if err != nil {
		t.Fatal(err)
	}
	ensured := time.Since(start)
	start = time.Now()
	if _, err := EnsureRoot(t.Context(), cache, lock, f); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d packages: fetch %s, EnsureRoot %s, again (cache hit) %s",
		len(debs), fetched.Round(time.Millisecond), ensured.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	run := func(script string) string {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), bwrap, "--ro-bind", root, "/", "--dev", "/dev", "--proc", "/proc",
			"--tmpfs", "/tmp", "--unshare-all", "--hostname", "fromscratch", "--clearenv",
			"--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp", "--setenv", "LC_ALL", "C",
			"--chdir", "/tmp", "/bin/sh", "-ec", script)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("in the build root: %s: %v\n%s", script, err, out)
		}
		return string(out)
	}
	out := run(`printf '#include <stdio.h>\nint main(void){puts("hello");return 0;}\n' > hello.c
gcc -O2 -o hello hello.c && ./hello
musl-gcc -static -O2 -o hello-musl hello.c && ./hello-musl
aarch64-linux-gnu-gcc -static -O2 -o hello-arm64 hello.c && od -An -tx1 -j18 -N2 hello-arm64
arm-linux-gnueabihf-gcc -c hello.c -o a.o && riscv64-linux-gnu-gcc -c hello.c -o r.o
printf '#include <iostream>\nint main(){std::cout<<"c++"<<std::endl;}\n' > c.cc && c++ -o c c.cc && ./c
make --version | head -1
awk 'BEGIN { print "awk", 1+1 }'
perl -e 'print "perl\n"'
autoconf --version | head -1
automake --version | head -1
cmake --version | head -1
pkg-config --version
yacc --version | head -1
id -un`)
	for _, want := range []string{"hello\nhello\n", "b7 00", "c++\n", "GNU Make", "awk 2", "perl\n", "autoconf (GNU Autoconf)", "automake (GNU automake)", "cmake version", "bison (GNU Bison)"} {
		if !strings.Contains(out, want) {
			t.Errorf("the build root's output lacks %q:\n%s", want, out)
		}
	}

	// The root's contents name the locked package of the files images
	// take from it.
	contents, err := ReadRootContents(cache, lock)
	if err != nil {
		t.Fatal(err)
	}
	for file, pkg := range map[string]string{
		"usr/lib/x86_64-linux-gnu/libc.so.6":                    "libc6",
		"lib64/ld-linux-x86-64.so.2":                            "libc6",
		"usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30":          "libstdc++6",
		"usr/lib/x86_64-linux-gnu/libc.a":                       "libc6-dev",
		"usr/lib/x86_64-linux-musl/libc.a":                      "musl-dev",
		"usr/riscv64-linux-gnu/lib/libc.so.6":                   "libc6-riscv64-cross",
		"usr/riscv64-linux-gnu/lib/ld-linux-riscv64-lp64d.so.1": "libc6-riscv64-cross",
		"usr/bin/x86_64-linux-gnu-gcc-12":                       "gcc-12",
	} {
		got, ok := contents.Owner(filepath.Join(root, file))
		want, _ := lock.Find(pkg)
		if !ok || got != want {
			t.Errorf("the owner of /%s is %v (%v), want %v", file, got, ok, want)
		}
	}

	// The same .debs give the same tree, byte for byte: checked on the
	// packages under 1 MiB (170 of 221, 38 MB of 281; base-files,
	// usrmerge, musl, make, perl and the cross sysroots' libc6 among them),
	// assembled twice. The whole root twice costs minutes of a CI run, for the same
	// code paths; it was measured identical when the lock was made.
	var small []string
	for i, p := range lock.Packages {
		if p.Size < 1<<20 {
			small = append(small, debs[i])
		}
	}
	var digests []string
	for i := range 2 {
		again := filepath.Join(t.TempDir(), fmt.Sprint("root", i))
		start = time.Now()
		if err := Assemble(again, small); err != nil {
			t.Fatal(err)
		}
		t.Logf("Assemble of %d packages: %s", len(small), time.Since(start).Round(time.Millisecond))
		digests = append(digests, treeDigest(t, again))
		if err := removeTree(again); err != nil {
			t.Fatal(err)
		}
	}
	if len(small) < 100 {
		t.Errorf("only %d packages under 1 MB: the check covers too little", len(small))
	}
	if digests[0] != digests[1] {
		t.Fatalf("two assemblies of %d packages differ: %s", len(small), digests)
	}
	if _, err := os.Stat(filepath.Join(root, "usr/bin/gcc-12")); err != nil {
		t.Fatal(err)
	}
}
