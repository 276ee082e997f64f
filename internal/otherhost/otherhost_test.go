// Package otherhost_test builds a release on this machine and inside
// another host, a Docker container whose root is a different Debian
// release (testutil.OtherHost: Debian 13 from mmdebstrap, no compiler),
// and requires the same SHA256SUMS: what a hermetic build promises
// (issue 17); and that an action cache this host filled in a registry
// serves the other host, every binary a hit. The package has only tests.
package otherhost_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/testutil"
)

// selection is the small part of the matrix both hosts build: one recipe,
// two platforms, one toolchain. Smoke runs are off (the other host has no
// engine, and the release records smoke results).
var selection = []string{
	"FROMSCRATCH_RECIPES=hello",
	"FROMSCRATCH_PLATFORMS=linux/amd64,linux/arm64",
	"FROMSCRATCH_TOOLCHAINS=gcc",
	"FROMSCRATCH_SMOKE=0",
	"FROMSCRATCH_REQUIRE_ALL=1", // a toolchain missing on either host fails the run instead of shrinking the release
	"SOURCE_DATE_EPOCH=1700000000",
	"CI=true",
}

// The release on this host and on the other one, each in its own copy of
// the repository with a fresh out/, run by the same fromscratch binary
// (built here once, static): the bytes of the build are under test, not
// Go's. This host starts with an empty action cache and fills a registry
// cache (Debian's docker-registry on 127.0.0.1). The other host builds
// twice: without network and without any action cache, compiling
// everything itself, and with an empty local action cache and the
// registry cache, which must serve every binary. All three give the same
// SHA256SUMS.
func TestReleaseOnAnotherHost(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a release three times, twice in a container of another Debian release")
	}
	image := testutil.OtherHost(t)
	root := testutil.RepoRoot(t)
	shared := testutil.CacheDir(t)
	binDir := t.TempDir()
	bin := testutil.BuildFromscratch(t, root, binDir)
	remote := "FROMSCRATCH_REMOTE_CACHE=" + testutil.StartRegistry(t).Host + "/fromscratch/cache"

	hostCache := emptyCache(t, shared)
	host := runRelease(t, root, func(repo string) ([]byte, error) {
		cmd := exec.CommandContext(t.Context(), bin, "release")
		cmd.Dir, cmd.Env = repo, slices.Concat(hostEnviron(), selection, []string{"FROMSCRATCH_CACHE=" + hostCache, remote})
		return cmd.CombinedOutput()
	})
	if host.err != nil {
		t.Fatalf("on this host: fromscratch release: %v\n%s", host.err, host.out)
	}
	compiled, restored := binaries(t, host.out)
	if compiled == 0 || restored != 0 || len(host.sums) == 0 {
		t.Fatalf("this host, empty caches: %d binaries compiled, %d restored, %d files in SHA256SUMS; want all compiled, none restored", compiled, restored, len(host.sums))
	}
	noRemoteWarning(t, "this host", host.out)
	t.Logf("this host: fromscratch release in %s:\n%s", host.took, tail(host.out, 5))

	t.Run("compiled", func(t *testing.T) {
		other := runRelease(t, root, func(repo string) ([]byte, error) {
			return testutil.RunInOtherHost(t, testutil.OtherHostRun{
				Dir:      repo,
				Env:      slices.Concat(selection, []string{"FROMSCRATCH_CACHE=" + shared, "FROMSCRATCH_NO_CACHE=1"}),
				Args:     []string{bin, "release"},
				Mounts:   []string{repo, shared},
				ReadOnly: []string{binDir},
			})
		})
		other.check(t, image, "no network, no action cache", host.sums)
		if c, r := binaries(t, other.out); c != compiled || r != 0 {
			t.Errorf("inside %s without an action cache: %d binaries compiled, %d restored; want %d compiled", image, c, r, compiled)
		}
	})

	t.Run("cache travels", func(t *testing.T) {
		cache := emptyCache(t, shared)
		other := runRelease(t, root, func(repo string) ([]byte, error) {
			return testutil.RunInOtherHost(t, testutil.OtherHostRun{
				Dir:         repo,
				Env:         slices.Concat(selection, []string{"FROMSCRATCH_CACHE=" + cache, remote}),
				Args:        []string{bin, "release"},
				Mounts:      []string{repo, cache, shared},
				ReadOnly:    []string{binDir},
				HostNetwork: true, // the registry listens on this machine's 127.0.0.1
			})
		})
		other.check(t, image, "an empty action cache and this host's registry cache", host.sums)
		noRemoteWarning(t, "inside "+image, other.out)
		c, r := binaries(t, other.out)
		if c != 0 || r != compiled {
			t.Errorf("inside %s with this host's registry cache: %d binaries compiled, %d restored; want 0 compiled, %d restored (every action a hit)", image, c, r, compiled)
		}
		t.Logf("registry cache hit rate inside %s: %d of %d binaries restored", image, r, r+c)
	})
}

// emptyCache is a fresh FROMSCRATCH_CACHE with no action cache, linking
// shared's provisioning (zig, the Debian packages, the build root).
func emptyCache(t *testing.T, shared string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cache")
	if err := testutil.LinkProvisioned(shared, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// releaseRun is the outcome of one release in a fresh copy of the
// repository.
type releaseRun struct {
	out  []byte
	err  error
	took time.Duration
	sums map[string]string // out/release/SHA256SUMS when it succeeded
}

// runRelease copies the repository at root and runs release in the copy.
func runRelease(t *testing.T, root string, release func(repo string) ([]byte, error)) releaseRun {
	t.Helper()
	repo := filepath.Join(t.TempDir(), "fromscratch")
	testutil.CopyRepo(t, root, repo)
	start := time.Now()
	out, err := release(repo)
	r := releaseRun{out: out, err: err, took: time.Since(start).Round(time.Second)}
	if err == nil {
		r.sums = readSums(t, repo)
	}
	return r
}

// check requires the other host's release (built with what how says) to
// have succeeded with this host's SHA256SUMS.
func (r releaseRun) check(t *testing.T, image, how string, want map[string]string) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("inside %s (Debian 13, no compiler, no Go), with %s, fromscratch release failed after %s: %v\n%s",
			image, how, r.took, r.err, tail(r.out, 40))
	}
	t.Logf("inside %s, with %s: fromscratch release in %s:\n%s", image, how, r.took, tail(r.out, 5))
	for _, d := range diffSums(want, r.sums) {
		t.Error(d)
	}
}

// binariesRe is the summary line counting the binaries of a build.
var binariesRe = regexp.MustCompile(`binaries: (\d+) compiled, (\d+) restored from the cache`)

// binaries are the counts of compiled and restored binaries a build
// printed.
func binaries(t *testing.T, out []byte) (compiled, restored int) {
	t.Helper()
	m := binariesRe.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no %q line in the output:\n%s", "binaries: N compiled, M restored from the cache", tail(out, 20))
	}
	compiled, _ = strconv.Atoi(string(m[1]))
	restored, _ = strconv.Atoi(string(m[2]))
	return compiled, restored
}

// noRemoteWarning fails the test if the build warned about the registry
// cache (down, refusing writes, a rejected entry).
func noRemoteWarning(t *testing.T, where string, out []byte) {
	t.Helper()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "FROMSCRATCH_REMOTE_CACHE=") {
			t.Errorf("%s: %s", where, line)
		}
	}
}

// hostEnviron is the test's environment without the settings the runs
// set themselves.
func hostEnviron() []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "FROMSCRATCH_") && !strings.HasPrefix(e, "SOURCE_DATE_EPOCH=") {
			env = append(env, e)
		}
	}
	return env
}

// readSums reads out/release/SHA256SUMS of a repository copy: checksum by
// path.
func readSums(t *testing.T, repo string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repo, "out", "release", "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		sum, path, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q: want <sha256>  <path>", line)
		}
		sums[path] = sum
	}
	return sums
}

// diffSums names every path whose checksum differs between the two hosts
// or that only one of them has, in path order.
func diffSums(host, other map[string]string) []string {
	var paths []string
	for p := range host {
		paths = append(paths, p)
	}
	for p := range other {
		if _, ok := host[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var diffs []string
	for _, p := range paths {
		h, inHost := host[p]
		o, inOther := other[p]
		switch {
		case !inOther:
			diffs = append(diffs, p+": only in this host's release")
		case !inHost:
			diffs = append(diffs, p+": only in the other host's release")
		case h != o:
			diffs = append(diffs, p+": differs between the hosts (this host "+h[:12]+", the other "+o[:12]+")")
		}
	}
	return diffs
}

func TestDiffSums(t *testing.T) {
	host := map[string]string{"a": strings.Repeat("1", 64), "b": strings.Repeat("2", 64), "c": strings.Repeat("3", 64)}
	other := map[string]string{"a": strings.Repeat("1", 64), "b": strings.Repeat("4", 64), "d": strings.Repeat("5", 64)}
	got := diffSums(host, other)
	want := []string{
		"b: differs between the hosts (this host 222222222222, the other 444444444444)",
		"c: only in this host's release",
		"d: only in the other host's release",
	}
	if !slices.Equal(got, want) {
		t.Errorf("diffSums = %q, want %q", got, want)
	}
	if d := diffSums(host, host); d != nil {
		t.Errorf("diffSums of a release with itself = %q, want none", d)
	}
}

// tail is the last n lines of out.
func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
