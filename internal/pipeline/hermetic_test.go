package pipeline

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/testutil"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// hermeticOptions are testOptions with every build step in the build
// root of the repository's lock, sandboxed. The root is assembled in the
// shared test cache once (about a minute) and reused.
func hermeticOptions(t testing.TB, root string) Options {
	t.Helper()
	if testing.Short() {
		t.Skip("assembles the build root (1.1 GB) and builds in it")
	}
	bwrap, err := toolchain.FindBwrap(toolchain.SystemPath)
	if err != nil {
		testutil.Missing(t, "%v", err)
	}
	lock, err := debian.ReadRootLock(BuildRootLockPath(repoRoot(t)))
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions(t, root)
	mirror, _ := debian.ParseSources(debian.MachineSources(), Suite)
	opts.BuildRoot = &BuildRoot{Lock: lock, Bwrap: bwrap, Fetch: &debian.Fetcher{CacheDir: opts.CacheDir, Mirror: mirror}}
	opts.Smoke, opts.NoCache = false, true
	return opts
}

// ociDigests are the sha256s of every file under out/oci.
func ociDigests(t *testing.T, out string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	for name, data := range testutil.ReadTree(t, filepath.Join(out, "oci")) {
		s := sha256.Sum256(data)
		sums[name] = hex.EncodeToString(s[:])
	}
	return sums
}

// hostDevHeaders are the headers of the -dev packages setup installs on
// the host for the tests (cli.HostDevPackages), which real recipes would
// find if the host leaked into their builds; the build root has none of
// them.
var hostDevHeaders = map[string]string{
	"libonig-dev":    "oniguruma.h",
	"zlib1g-dev":     "zlib.h",
	"libncurses-dev": "ncurses.h",
}

// needHostDevPackages stops the test unless every package of
// hostDevHeaders is installed on the host (its header is in /usr/include).
func needHostDevPackages(t *testing.T) {
	t.Helper()
	for _, pkg := range slices.Sorted(maps.Keys(hostDevHeaders)) {
		if _, err := os.Stat(filepath.Join("/usr/include", hostDevHeaders[pkg])); err != nil {
			testutil.Missing(t, "%s is not installed on the host (%v): apt-get install %s, or go tool mage test, installs it", pkg, err, pkg)
		}
	}
}

// devProbe writes recipes/devprobe under root: a program whose compile
// fails, naming the header, if any header of hostDevHeaders can be
// included.
func devProbe(t *testing.T, root string) {
	t.Helper()
	dir := filepath.Join(root, "recipes", "devprobe")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	src.WriteString("#include <stdio.h>\n")
	for _, pkg := range slices.Sorted(maps.Keys(hostDevHeaders)) {
		h := hostDevHeaders[pkg]
		fmt.Fprintf(&src, "#if __has_include(<%s>)\n#error \"the host's %s (%s) is visible to the build\"\n#endif\n", h, h, pkg)
	}
	src.WriteString("int main(void) { puts(\"no host headers\"); return 0; }\n")
	toml := "description = \"fails to compile if a host -dev package is visible\"\nlanguage = \"c\"\n" +
		"sources = [\"probe.c\"]\ncflags = [\"-Os\"]\n\n[smoke]\nstdout = \"no host headers\\n\"\n"
	for name, data := range map[string]string{"probe.c": src.String(), "recipe.toml": toml} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// probeHostWay builds the dev probe of root with the host's gcc, without
// the build root, and requires it to fail naming every header of
// hostDevHeaders: the host's -dev packages would change a build that is
// not hermetic.
func probeHostWay(t *testing.T, root string) {
	t.Helper()
	opts := testOptions(t, root)
	opts.Recipes, opts.Toolchains, opts.Platforms = []string{"devprobe"}, []string{"gcc"}, []recipe.Platform{"linux/amd64"}
	opts.Smoke, opts.NoCache = false, true
	rep, _ := New(opts).Build(t.Context())
	if rep == nil {
		t.Fatal("the dev probe built the host way: no report")
	}
	for _, j := range rep.Jobs {
		r := rep.Results[j.Cell.String()]
		if j.Status != "" || r == nil {
			continue
		}
		if r.Err == nil {
			t.Fatalf("%s: the dev probe built with the host's gcc; want it to fail on the host's -dev headers", j.Cell)
		}
		for _, h := range hostDevHeaders {
			if !strings.Contains(r.Err.Error(), "the host's "+h) {
				t.Errorf("%s built the host way: the error does not name %s: %v", j.Cell, h, r.Err)
			}
		}
		return
	}
	t.Fatalf("the dev probe built the host way: no cell ran (%d jobs)", len(rep.Jobs))
}

// Host independence: with the host's -dev packages installed
// (hostDevHeaders) and a fake gcc, cc, make, cmake, pkg-config, ld and as
// that fail (and leave a mark) first on PATH, a hermetic build gives the
// same OCI bytes as one without the fakes, none of the fakes ran (every
// compile, configure, cmake and make ran in the build root), and a probe
// that fails on any of the host's -dev headers builds, while it fails when
// built the host way.
func TestHermeticHostIndependence(t *testing.T) {
	root := hostTempDir(t)
	hermeticOptions(t, root) // skips in short mode
	needHostDevPackages(t)
	copyTree(t, filepath.Join(repoRoot(t), "toolchains"), filepath.Join(root, "toolchains"))
	recipes := []string{"hello", "multifile", "tini"}
	for _, r := range recipes {
		copyTree(t, filepath.Join(repoRoot(t), "recipes", r), filepath.Join(root, "recipes", r))
	}
	devProbe(t, root)
	probeHostWay(t, root)
	build := func(fake bool) map[string]string {
		opts := hermeticOptions(t, root)
		opts.Recipes = slices.Concat(recipes, []string{"devprobe"})
		opts.Toolchains = []string{"gcc", "musl-gcc"}
		opts.Platforms = []recipe.Platform{"linux/amd64", "linux/arm64"}
		if fake {
			dir := t.TempDir()
			mark := filepath.Join(dir, "ran")
			for _, n := range []string{"gcc", "cc", "g++", "make", "cmake", "pkg-config", "ld", "as", "aarch64-linux-gnu-gcc", "musl-gcc"} {
				script := fmt.Sprintf("#!/bin/sh\necho %s >> %s\nexit 1\n", n, mark)
				if err := os.WriteFile(filepath.Join(dir, n), []byte(script), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			opts.HostPath = append([]string{dir}, opts.HostPath...)
			t.Setenv("PATH", dir+string(filepath.ListSeparator)+os.Getenv("PATH"))
			defer func() {
				if ran, err := os.ReadFile(mark); err == nil {
					t.Errorf("the host's fake tools ran: %s", ran)
				}
			}()
		}
		rep, err := New(opts).Build(t.Context())
		if err != nil {
			t.Fatalf("hermetic build (fake tools on PATH: %v): %v", fake, err)
		}
		built, probes := 0, 0
		for _, r := range rep.Results {
			switch {
			case r.Job.Status != "":
			case r.Err != nil:
				t.Errorf("%s failed in the build root (fake tools on PATH: %v): %v", r.Job.Cell, fake, r.Err)
			default:
				built++
				if r.Job.Cell.Recipe == "devprobe" {
					probes++
				}
			}
		}
		if built < 10 || probes == 0 {
			t.Fatalf("only %d cells built, %d of them the dev probe", built, probes)
		}
		return ociDigests(t, opts.OutDir)
	}
	normal, faked := build(false), build(true)
	if len(normal) == 0 {
		t.Fatal("no OCI files")
	}
	for name, sum := range normal {
		if faked[name] != sum {
			t.Errorf("%s: %s normally, %s with the fake tools on PATH", name, sum, faked[name])
		}
	}
	if len(faked) != len(normal) {
		t.Errorf("%d OCI files normally, %d with the fake tools", len(normal), len(faked))
	}
}

// escapeRecipe writes recipes/<name>: a make project whose build runs cmd
// (one shell line), vendored as a tarball pinned by its sha256.
func escapeRecipe(t *testing.T, root, name, cmd string) {
	t.Helper()
	dir := filepath.Join(root, "recipes", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"p/Makefile": "prog: prog.c\n\t" + cmd + "\n\t$(CC) $(CFLAGS) -o prog prog.c $(LDFLAGS)\n",
		"p/prog.c":   "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n",
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, n := range slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	}) {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg})
		tw.Write([]byte(files[n]))
	}
	tw.Close()
	gz.Close()
	sum := sha256.Sum256(buf.Bytes())
	if err := os.WriteFile(filepath.Join(dir, "p-1.tar.gz"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	toml := fmt.Sprintf(`description = "escapes: %s"
language = "c"
build = "make"
built = "prog"
binary = "usr/bin/prog"

[source]
url = "https://fromscratch.invalid/p-1.tar.gz"
sha256 = "sha256:%s"
strip_components = 1

[smoke]
stdout = "hi\n"
`, name, hex.EncodeToString(sum[:]))
	if err := os.WriteFile(filepath.Join(dir, "recipe.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A build step that writes outside its places or reaches the network
// fails with the path or address named, and the host is unchanged.
func TestHermeticEscapesRefused(t *testing.T) {
	// Host places outside /tmp (inside the sandbox /tmp is a private
	// tmpfs, where a write lands harmlessly): the repository and a $HOME.
	root, home := hostTempDir(t), hostTempDir(t)
	copyTree(t, filepath.Join(repoRoot(t), "toolchains"), filepath.Join(root, "toolchains"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
			accepted <- struct{}{}
		}
	}()
	target := filepath.Join(t.TempDir(), "outside")
	cases := map[string]struct{ cmd, want string }{
		"usrlocal": {"touch /usr/local/bin/fromscratch-escape", "/usr/local/bin/fromscratch-escape"},
		"etc":      {"echo x > /etc/fromscratch-escape", "/etc/fromscratch-escape"},
		"home":     {"touch " + home + "/escape", home + "/escape"},
		"repo":     {"touch " + root + "/recipes/escape", "$ROOT/recipes/escape"}, // logs name the repository $ROOT
		"network":  {"bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + portOf(ln) + "'", "127.0.0.1:" + portOf(ln)},
		"symlink":  {"ln -s " + target + " out && echo x > out", target},
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range cases {
			if !yield(k) {
				return
			}
		}
	})
	for _, n := range names {
		escapeRecipe(t, root, "esc"+n, strings.ReplaceAll(cases[n].cmd, "$", "$$"))
	}
	escapeRecipe(t, root, "escnone", "true")
	opts := hermeticOptions(t, root)
	opts.Toolchains = []string{"gcc"}
	opts.Platforms = []recipe.Platform{"linux/amd64"}
	rep, _ := New(opts).Build(t.Context())
	if rep == nil {
		t.Fatal("no report")
	}
	got := map[string]error{}
	for _, j := range rep.Jobs {
		if j.Cell.Linkage != recipe.Static {
			continue
		}
		if j.Status != "" {
			t.Fatalf("%s: %s: %s", j.Cell, j.Status, j.Reason)
		}
		if r := rep.Results[j.Cell.String()]; r != nil {
			got[j.Cell.Recipe] = r.Err
		}
	}
	if err, ok := got["escnone"]; !ok || err != nil {
		t.Fatalf("the recipe that stays in its places: built %v, error %v", ok, err)
	}
	for _, n := range names {
		err, ok := got["esc"+n]
		switch {
		case !ok:
			t.Errorf("%s: not built", n)
		case err == nil:
			t.Errorf("%s: the build succeeded", n)
		case !strings.Contains(err.Error(), cases[n].want):
			t.Errorf("%s: the error does not name %s: %v", n, cases[n].want, err)
		}
	}
	for _, p := range []string{"/usr/local/bin/fromscratch-escape", "/etc/fromscratch-escape", home + "/escape", root + "/recipes/escape", target} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s exists on the host", p)
		}
	}
	select {
	case <-accepted:
		t.Error("the listener on 127.0.0.1 got a connection from a build step")
	default:
	}
}

// hostTempDir is a temporary directory in /var/tmp, removed at the end.
func hostTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/var/tmp", "fromscratch-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func portOf(ln net.Listener) string { return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port) }
