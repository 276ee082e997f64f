package smoke

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/testutil"
)

// dockerEngine is a Docker for t, or a skip when no engine answers `docker info`.
func dockerEngine(t *testing.T) *Docker {
	t.Helper()
	if err := dockerInfo(context.Background()); err != nil {
		testutil.Missing(t, "%v (start one with `go tool mage setup` or dockerd --iptables=false --bridge=none)", err)
	}
	d := &Docker{}
	t.Cleanup(func() {
		if err := d.Cleanup(context.Background()); err != nil {
			t.Errorf("cleaning up: %v", err)
		}
	})
	return d
}

// runcEngine is a Runc for t, or a skip when runc is missing or we are not root.
func runcEngine(t *testing.T) Runc {
	t.Helper()
	if _, err := exec.LookPath("runc"); err != nil {
		testutil.Missing(t, "runc is not installed (apt-get install runc)")
	}
	if os.Geteuid() != 0 {
		testutil.Missing(t, "runc needs root")
	}
	return Runc{}
}

func TestDocker(t *testing.T) {
	d := dockerEngine(t)
	testEngine(t, d, func(t *testing.T, tag string) {
		out, err := dockerOutput(context.Background(), "ps", "--all", "--quiet", "--filter", "ancestor="+tag)
		if err != nil {
			t.Fatal(err)
		}
		if out != "" {
			t.Errorf("containers of %s are left behind: %s", tag, out)
		}
	})

	amd64 := newImage(t, compile(t, "gcc", true), "linux/amd64")
	t.Run("tag from the archive", func(t *testing.T) {
		s := amd64.spec
		s.Tag = ""
		if res := Run(context.Background(), d, s, amd64.want); res.Status != StatusPass {
			t.Errorf("got %s (%s), want pass", res.Status, res.Reason)
		}
	})
	t.Run("image of another platform", func(t *testing.T) {
		s := amd64.spec
		s.Platform = "linux/arm64"
		if ok, why := CanRun(s.Platform); !ok {
			testutil.Missing(t, "%s", why)
		}
		res := Run(context.Background(), d, s, amd64.want)
		wantFail(t, res, "does not match the specified platform")
	})
}

func TestRunc(t *testing.T) {
	testEngine(t, runcEngine(t), func(t *testing.T, _ string) {
		cmd := exec.Command("runc", "list", "--quiet")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("runc list: %v", err)
		}
		if strings.Contains(string(out), "fromscratch-smoke-") {
			t.Errorf("runc containers are left behind:\n%s", out)
		}
	})
}

// testEngine runs the cases every engine must get right; leftovers checks that a timed-out
// container of the image tagged tag is gone.
func testEngine(t *testing.T, e Engine, leftovers func(t *testing.T, tag string)) {
	ctx := context.Background()
	img := newImage(t, compile(t, "gcc", true), "linux/amd64")

	t.Run("pass", func(t *testing.T) {
		res := Run(ctx, e, img.spec, img.want)
		if res.Status != StatusPass || res.Reason != "" {
			t.Fatalf("got %s (%s), want pass", res.Status, res.Reason)
		}
		if res.Engine != e.Name() || res.ExitCode != 0 || res.Stdout != "hello from smoke\ncode 0\n" || res.Duration <= 0 {
			t.Errorf("result %+v: want engine %s, exit 0, the program's stdout and a duration", res, e.Name())
		}
	})
	t.Run("wrong stdout", func(t *testing.T) {
		res := Run(ctx, e, img.spec, Equal("goodbye\n", 0))
		wantFail(t, res, `stdout differs: want "goodbye\n", got "hello from smoke\ncode 0\n"`)
	})
	t.Run("wrong exit code", func(t *testing.T) {
		res := Run(ctx, e, img.spec, Contains("hello from smoke", 3))
		wantFail(t, res, "exit code differs: want 3, got 0")
	})
	t.Run("argument", func(t *testing.T) {
		s := img.spec
		s.Args = []string{"7"}
		res := Run(ctx, e, s, Equal("hello from smoke\ncode 7\n", 7))
		if res.Status != StatusPass || res.ExitCode != 7 {
			t.Errorf("got %s, exit %d (%s), want pass with exit 7", res.Status, res.ExitCode, res.Reason)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		s := img.spec
		s.Args, s.Timeout = []string{"sleep"}, 2*time.Second
		res := Run(ctx, e, s, img.want)
		wantFail(t, res, "timed out after 2s")
		if res.Duration > 30*time.Second {
			t.Errorf("a 2 s timeout took %s", res.Duration)
		}
		leftovers(t, s.Tag)
	})
	t.Run("dynamic without loader", func(t *testing.T) {
		dyn := newImage(t, compile(t, "gcc", false), "linux/amd64")
		res := Run(ctx, e, dyn.spec, dyn.want)
		wantFail(t, res, "no such file or directory")
	})
	for _, platform := range []string{"linux/arm64", "linux/arm/v7", "linux/riscv64"} {
		t.Run(platform, func(t *testing.T) {
			if ok, why := CanRun(platform); !ok {
				testutil.Missing(t, "%s", why)
			}
			foreign := newImage(t, compile(t, crossCC[platform], true), platform)
			res := Run(ctx, e, foreign.spec, foreign.want)
			if res.Status != StatusPass {
				t.Errorf("got %s (%s), want pass", res.Status, res.Reason)
			}
		})
	}
}

// wantFail checks that res failed with a reason containing reason.
func wantFail(t *testing.T, res Result, reason string) {
	t.Helper()
	if res.Status != StatusFail {
		t.Fatalf("got %s (%q), want fail", res.Status, res.Reason)
	}
	t.Logf("reason: %s", res.Reason)
	if !strings.Contains(res.Reason, reason) {
		t.Errorf("reason %q does not contain %q", res.Reason, reason)
	}
}
