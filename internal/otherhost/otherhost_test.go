// Package otherhost_test builds a release on this machine and inside
// another host, a Docker container whose root is a different Debian
// release (testutil.OtherHost: Debian 13 from mmdebstrap, no compiler),
// and requires the same SHA256SUMS: what a hermetic build promises
// (issue 17). The package has only tests.
package otherhost_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/testutil"
)

// selection is the small part of the matrix both hosts build: one recipe,
// two platforms, one toolchain. Smoke runs are off (the other host has no
// engine, and the release records smoke results) and the action cache is
// off (both hosts share FROMSCRATCH_CACHE, and a restored binary would
// hide a compile that differs).
var selection = []string{
	"FROMSCRATCH_RECIPES=hello",
	"FROMSCRATCH_PLATFORMS=linux/amd64,linux/arm64",
	"FROMSCRATCH_TOOLCHAINS=gcc",
	"FROMSCRATCH_SMOKE=0",
	"FROMSCRATCH_NO_CACHE=1",
	"FROMSCRATCH_REQUIRE_ALL=1", // a toolchain missing on either host fails the run instead of shrinking the release
	"SOURCE_DATE_EPOCH=1700000000",
	"CI=true",
}

// release is the command both hosts run in their own copy of the
// repository, each with a fresh out/.
var release = []string{"go", "run", "./cmd/fromscratch", "release"}

func TestReleaseOnAnotherHost(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a release twice, once in a container of another Debian release")
	}
	image := testutil.OtherHost(t)
	root := testutil.RepoRoot(t)
	cache := testutil.CacheDir(t)
	env := append(slices.Clone(selection), "FROMSCRATCH_CACHE="+cache)

	hostRepo := filepath.Join(t.TempDir(), "fromscratch")
	testutil.CopyRepo(t, root, hostRepo)
	start := time.Now()
	cmd := exec.CommandContext(t.Context(), release[0], release[1:]...)
	cmd.Dir, cmd.Env = hostRepo, append(hostEnviron(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("on this host: %s: %v\n%s", strings.Join(release, " "), err, out)
	}
	t.Logf("this host: %s in %s:\n%s", strings.Join(release, " "), time.Since(start).Round(time.Second), tail(out, 5))
	hostSums := readSums(t, hostRepo)
	if len(hostSums) == 0 {
		t.Fatal("the release on this host lists no file in SHA256SUMS")
	}

	otherRepo := filepath.Join(t.TempDir(), "fromscratch")
	testutil.CopyRepo(t, root, otherRepo)
	start = time.Now()
	out, err = testutil.RunInOtherHost(t, testutil.OtherHostRun{
		Dir: otherRepo,
		// The other host's own Go build cache, kept between runs.
		Env:    append(env, "GOCACHE="+filepath.Join(cache, "otherhost", "go-build")),
		Args:   release,
		Mounts: []string{otherRepo, cache},
	})
	took := time.Since(start).Round(time.Second)
	if err != nil {
		t.Fatalf("inside %s (Debian 13, no compiler installed), %s failed after %s: %v\n%s\n"+
			"This host's release (%d files) cannot be compared: the build is not hermetic yet, its steps "+
			"still need this host's toolchains (issue 17).", image, strings.Join(release, " "), took, err, tail(out, 40), len(hostSums))
	}
	t.Logf("inside %s: %s in %s:\n%s", image, strings.Join(release, " "), took, tail(out, 5))
	for _, d := range diffSums(hostSums, readSums(t, otherRepo)) {
		t.Error(d)
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
