package testutil

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// "Another host" for the hermetic-build tests: a Docker image whose root is
// Debian 13 (trixie), a different release from the Debian 12 machines the
// project runs on, holding only what a host needs to run fromscratch
// (bubblewrap) and no compiler, no Go at all. The fromscratch binary
// (built on this machine with CGO_ENABLED=0, so it runs on any Linux), the
// repository and FROMSCRATCH_CACHE come from this machine as bind mounts;
// the container has no network unless a run asks for this machine's.

// OtherHostSuite is the Debian release the other host runs.
const OtherHostSuite = "trixie"

// otherHostVariant is mmdebstrap's package set: "extract" unpacks the
// packages of otherHostPackages and their dependencies and nothing else,
// without running dpkg or any maintainer script (none of these needs one).
// It takes about 30 s where the minbase variant, which installs with dpkg,
// took 4 to 6 minutes, and gives 15 MB instead of 123.
const otherHostVariant = "extract"

// otherHostPackages are what the other host holds: bubblewrap, which the
// build steps run in (with its libraries and the C library's loader), and
// base-files (Debian 13's merged-/usr links, /etc/os-release, /tmp).
// Nothing else: no shell, no compiler, no Go, no dpkg (fromscratch reads
// the pinned .deb files in Go, for the build root, the runtime libraries
// and the SBOMs alike). A compiler here would hide a build that is not
// hermetic, and dpkg-deb one that reads packages with the host's tools.
var otherHostPackages = []string{"bubblewrap", "base-files"}

// otherHostRepository is the image's repository; its tag names the inputs.
const otherHostRepository = "fromscratch-otherhost"

// otherHostLabel is the image label holding the mmdebstrap command line.
const otherHostLabel = "org.fromscratch.otherhost.mmdebstrap"

// DockerRunPrivileges are the least `docker run` options under which
// bubblewrap works inside the container as root (checked with Docker
// 20.10 on Debian 12): Docker's default seccomp profile refuses the
// unshare of a user namespace that bwrap makes ("No permissions to create
// a new namespace"), and its masked /proc entries make the kernel refuse
// bwrap's new proc mount ("Can't mount proc on /proc"). CAP_SYS_ADMIN is
// not needed (bwrap then works in its own user namespace), and adding it
// alone fails in pivot_root; --privileged is more than this and fails to
// start on some machines ("unable to apply caps").
var DockerRunPrivileges = []string{"--security-opt", "seccomp=unconfined", "--security-opt", "systempaths=unconfined"}

// MmdebstrapArgs is the mmdebstrap command line (without its output
// argument) that assembles the other host's root from the Debian mirror
// this machine uses.
func MmdebstrapArgs(mirror, security string) []string {
	return []string{
		"--variant=" + otherHostVariant,
		"--include=" + strings.Join(otherHostPackages, ","),
		OtherHostSuite,
		"-", // the tarball goes to stdout; OtherHost pipes it into a file
		"deb " + mirror + " " + OtherHostSuite + " main",
		"deb " + security + " " + OtherHostSuite + "-security main",
	}
}

// OtherHostTag is the image tag for an mmdebstrap command line: a
// different package list or mirror is a different image.
func OtherHostTag(args []string) string {
	sum := sha256.Sum256([]byte(strings.Join(args, "\x00")))
	return otherHostRepository + ":" + OtherHostSuite + "-" + hex.EncodeToString(sum[:])[:12]
}

// AptMirrors returns the archive and security URIs of a deb822 sources
// file (/etc/apt/sources.list.d/debian.sources): the first URIs of a stanza
// whose suites end in -security, and the first of any other stanza.
func AptMirrors(data []byte) (mirror, security string, err error) {
	for _, stanza := range strings.Split(string(data), "\n\n") {
		var uris, suites string
		sc := bufio.NewScanner(strings.NewReader(stanza))
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			switch {
			case !ok || strings.HasPrefix(k, "#"):
			case k == "URIs":
				uris = strings.TrimSpace(v)
			case k == "Suites":
				suites = strings.TrimSpace(v)
			}
		}
		uri, _, _ := strings.Cut(uris, " ")
		if uri == "" {
			continue
		}
		if strings.Contains(suites, "-security") {
			if security == "" {
				security = uri
			}
		} else if mirror == "" {
			mirror = uri
		}
	}
	if mirror == "" || security == "" {
		return "", "", fmt.Errorf("want a stanza with URIs and Suites for the archive and one for -security; found archive %q, security %q", mirror, security)
	}
	return mirror, security, nil
}

// aptSources is where this machine's apt finds Debian.
const aptSources = "/etc/apt/sources.list.d/debian.sources"

var otherHost struct {
	once  sync.Once
	image string
	err   error
	skip  string
}

// OtherHost returns the other host's image tag, building it when Docker
// has no image of that tag yet: mmdebstrap (minutes) into a tarball,
// then `docker import` with the command line as a label. Without docker or
// mmdebstrap the test is Missing (a failure in CI). The image is built
// once per test binary and kept by the engine between runs.
func OtherHost(t testing.TB) string {
	t.Helper()
	otherHost.once.Do(func() {
		otherHost.image, otherHost.skip, otherHost.err = ensureOtherHost(t)
	})
	if otherHost.skip != "" {
		Missing(t, "%s", otherHost.skip)
	}
	if otherHost.err != nil {
		t.Fatal(otherHost.err)
	}
	return otherHost.image
}

// ensureOtherHost builds the image unless the engine has it. skip says
// what is missing on this machine.
func ensureOtherHost(t testing.TB) (image, skip string, err error) {
	if _, err := exec.LookPath("docker"); err != nil {
		return "", "docker is not installed (apt-get install docker.io, or go tool mage setup)", nil
	}
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		return "", fmt.Sprintf("no Docker engine answers (go tool mage setup starts one): %v: %s", err, bytes.TrimSpace(out)), nil
	}
	data, err := os.ReadFile(aptSources)
	if err != nil {
		return "", fmt.Sprintf("no Debian mirror to assemble the other host from: %v", err), nil
	}
	mirror, security, err := AptMirrors(data)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", aptSources, err)
	}
	args := MmdebstrapArgs(mirror, security)
	image = OtherHostTag(args)
	if exec.Command("docker", "image", "inspect", image).Run() == nil {
		return image, "", nil
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		return "", fmt.Sprintf("mmdebstrap is not installed and Docker has no %s (apt-get install mmdebstrap, or go tool mage setup)", image), nil
	}
	return image, "", buildOtherHost(t, image, args)
}

// buildOtherHost runs mmdebstrap into a temporary tarball and imports it
// as image, logging how long each took.
func buildOtherHost(t testing.TB, image string, args []string) error {
	dir, err := os.MkdirTemp("", "fromscratch-otherhost")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	root := filepath.Join(dir, "root.tar")
	tar, err := os.Create(root)
	if err != nil {
		return err
	}
	ctx := context.Background()
	start := time.Now()
	cmd := exec.CommandContext(ctx, "mmdebstrap", args...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = tar, &log
	err = cmd.Run()
	tar.Close()
	if err != nil {
		return fmt.Errorf("assembling the %s root (mmdebstrap %s): %w\n%s", OtherHostSuite, strings.Join(args, " "), err, tailOf(log.String(), 30))
	}
	t.Logf("mmdebstrap %s: %s", OtherHostSuite, time.Since(start).Round(time.Second))
	start = time.Now()
	out, err := exec.CommandContext(ctx, "docker", "import",
		"--change", fmt.Sprintf("LABEL %s=%q", otherHostLabel, strings.Join(args, " ")),
		"--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		root, image).CombinedOutput()
	if err != nil {
		return fmt.Errorf("importing the %s root as %s: %w: %s", OtherHostSuite, image, err, out)
	}
	t.Logf("docker import %s: %s", image, time.Since(start).Round(time.Second))
	return nil
}

// OtherHostRun is one command in the other host.
type OtherHostRun struct {
	Dir  string   // the working directory, a host path mounted at the same path
	Env  []string // KEY=VALUE on top of PATH and HOME
	Args []string // the command
	// Mounts are host paths mounted read-write at the same path (the
	// repository copy, FROMSCRATCH_CACHE), ReadOnly those mounted
	// read-only (the fromscratch binary's folder).
	Mounts, ReadOnly []string
	// HostNetwork runs the container in this machine's network namespace
	// (`--network host`) instead of none, so that it reaches servers on
	// this machine's 127.0.0.1, such as a registry: the engine has no
	// bridge here (dockerd --bridge=none), and a container's own loopback
	// is not this machine's. Build steps still run without network
	// (bubblewrap's --unshare-net).
	HostNetwork bool
}

// RunInOtherHost runs r in a fresh container of the other host
// (`docker run --rm` with DockerRunPrivileges) and returns the combined
// output.
func RunInOtherHost(t testing.TB, r OtherHostRun) ([]byte, error) {
	t.Helper()
	image := OtherHost(t)
	return exec.CommandContext(t.Context(), "docker", otherHostArgv(image, r)...).CombinedOutput()
}

// otherHostArgv is the docker command line running r in image.
func otherHostArgv(image string, r OtherHostRun) []string {
	network := "none"
	if r.HostNetwork {
		network = "host"
	}
	argv := append([]string{"run", "--rm", "--network", network}, DockerRunPrivileges...)
	for _, m := range r.Mounts {
		argv = append(argv, "-v", m+":"+m)
	}
	for _, m := range r.ReadOnly {
		argv = append(argv, "-v", m+":"+m+":ro")
	}
	for _, e := range append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"}, r.Env...) {
		argv = append(argv, "-e", e)
	}
	argv = append(argv, "-w", r.Dir, image)
	return append(argv, r.Args...)
}

// BuildFromscratch builds cmd/fromscratch of the repository at root into
// dir with CGO_ENABLED=0 (a static binary that runs on any Linux, the
// other host included, which has no Go) and returns its path. No
// -trimpath: the build then reuses the packages the test run already
// compiled (with -trimpath every package is compiled again: 15 minutes on
// a loaded 2-core machine, against 18 s of CPU without).
func BuildFromscratch(t testing.TB, root, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "fromscratch")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./cmd/fromscratch")
	cmd.Dir, cmd.Env = root, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building fromscratch (CGO_ENABLED=0 go build ./cmd/fromscratch in %s): %v\n%s", root, err, out)
	}
	return bin
}

// tailOf is the last n lines of s.
func tailOf(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
