package image

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// dockerTargets are the platforms the docker test tries, with the compiler that builds a static
// program for each and the binfmt_misc entry a foreign platform needs.
var dockerTargets = []struct {
	platform, cc, binfmt string
}{
	{"linux/amd64", "gcc", ""},
	{"linux/arm64", "aarch64-linux-gnu-gcc", "qemu-aarch64"},
	{"linux/arm/v7", "arm-linux-gnueabihf-gcc", "qemu-arm"},
	{"linux/riscv64", "riscv64-linux-gnu-gcc", "qemu-riscv64"},
}

// run runs a command with a minimal environment and returns its combined output.
func run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LC_ALL=C"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// TestDocker builds a real static program into a scratch image per platform, loads the archive
// into the local docker engine and runs it.
func TestDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping docker test in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := run(ctx, "docker", "info"); err != nil {
		t.Skipf("skipping: no docker engine answers `docker info` (start dockerd to run this test): %v %s", err, out)
	}
	src, err := filepath.Abs(filepath.Join("testdata", "hi.c"))
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range dockerTargets {
		t.Run(target.platform, func(t *testing.T) {
			if _, err := exec.LookPath(target.cc); err != nil {
				t.Skipf("skipping: %s is not installed (Debian package gcc-%s)", target.cc, strings.TrimSuffix(target.cc, "-gcc"))
			}
			if target.binfmt != "" {
				if _, err := os.Stat(filepath.Join("/proc/sys/fs/binfmt_misc", target.binfmt)); err != nil {
					t.Skipf("skipping: binfmt_misc has no %s entry, so %s binaries cannot run here", target.binfmt, target.platform)
				}
			}
			dir := t.TempDir()
			bin := filepath.Join(dir, "hi")
			if _, err := run(ctx, target.cc, "-static", "-Os", "-o", bin, src); err != nil {
				t.Skipf("skipping: cannot build a static program with %s (is its libc6-dev cross package installed?): %v", target.cc, err)
			}
			img := mustBuild(t, Spec{
				Platform:   target.platform,
				Layers:     []Layer{{CreatedBy: "COPY hi /hi", Files: []File{{Path: "/hi", Source: bin, Mode: 0o755}}}},
				Entrypoint: []string{"/hi"},
				Created:    created,
			})
			tag := fmt.Sprintf("fromscratch-image-test:%s-%d", strings.ReplaceAll(target.platform, "/", "-"), os.Getpid())
			archive := filepath.Join(dir, "hi.tar")
			if err := WriteDockerArchive(archive, tag, img); err != nil {
				t.Fatal(err)
			}
			if _, err := run(ctx, "docker", "load", "-i", archive); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if out, err := run(context.Background(), "docker", "rmi", "--force", tag); err != nil {
					t.Logf("removing %s: %v %s", tag, err, out)
				}
			})

			out, err := run(ctx, "docker", "run", "--rm", "--network", "none", "--platform", target.platform, tag)
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(out) != "hi from scratch" {
				t.Errorf("docker run printed %q, want %q", out, "hi from scratch")
			}

			out, err = run(ctx, "docker", "image", "history", "--no-trunc", "--format", "{{.CreatedBy}}", tag)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{`ENTRYPOINT ["/hi"]`, "LABEL org.opencontainers.image.created=2024-01-02T03:04:05Z", "COPY hi /hi"}
			if got := strings.Split(strings.TrimSpace(out), "\n"); !reflect.DeepEqual(got, want) {
				t.Errorf("docker image history shows %q, want %q", got, want)
			}

			out, err = run(ctx, "docker", "image", "inspect", "--format", "{{.Os}}/{{.Architecture}}/{{.Variant}}", tag)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSuffix(strings.TrimSpace(out), "/"); got != target.platform {
				t.Errorf("docker sees platform %q, want %s", strings.TrimSpace(out), target.platform)
			}
		})
	}
}
