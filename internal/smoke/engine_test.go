package smoke

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fromscratch/fromscratch/internal/testutil"
)

// dockerEngine is a Docker for t, or a skip when no engine answers `docker info`.
func dockerEngine(t *testing.T) *Docker {
	t.Helper()
	if err := dockerInfo(context.Background(), os.Environ()); err != nil {
		testutil.Missing(t, "%v (start one with `go tool mage setup` or dockerd --iptables=false --bridge=none)", err)
	}
	d := &Docker{Env: os.Environ()}
	t.Cleanup(func() {
		if err := d.Cleanup(context.Background()); err != nil {
			t.Errorf("cleaning up: %v", err)
		}
	})
	return d
}

// runcEngine is a Runc for t, or a skip when runc is missing or we are not root and the
// kernel refuses us a user namespace.
func runcEngine(t *testing.T) Runc {
	t.Helper()
	if _, err := exec.LookPath("runc"); err != nil {
		testutil.Missing(t, "runc is not installed (apt-get install runc)")
	}
	if why := RootlessProblem(t.Context()); why != "" {
		t.Skip(why)
	}
	return Runc{}
}

func TestDocker(t *testing.T) {
	d := dockerEngine(t)
	testEngine(t, d, func(t *testing.T, tag string) {
		out, err := dockerOutput(context.Background(), os.Environ(), "ps", "--all", "--quiet", "--filter", "ancestor="+tag)
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

// TestRuncRootless runs the cases of every engine with runc as uid 65534
// (testutil.RunUnprivileged): rootless, in a user namespace of that
// user's, its state in the bundle, which every run removes. It runs when
// the tests run as root and the kernel gives unprivileged users a user
// namespace; about 10 s, so not in short mode.
func TestRuncRootless(t *testing.T) {
	var child struct{}
	if !testutil.UnprivilegedArgs(t, &child) {
		if testing.Short() {
			t.Skip("runs every engine case again as another user")
		}
		testutil.NeedRoot(t)
		if _, err := exec.LookPath("runc"); err != nil {
			testutil.Missing(t, "runc is not installed (apt-get install runc)")
		}
		out, err := testutil.RunUnprivileged(t, child)
		if err != nil {
			t.Fatalf("runc as uid %d: %v\n%s", testutil.UnprivilegedUID, err, out)
		}
		t.Logf("as uid %d:\n%s", testutil.UnprivilegedUID, testutil.ResultLines(out))
		if strings.Contains(string(out), "--- SKIP: TestRuncRootless ") {
			t.Skip("the child skipped")
		}
		return
	}
	if os.Geteuid() == 0 {
		t.Fatal("the child runs as root")
	}
	testEngine(t, runcEngine(t), func(t *testing.T, _ string) {
		left, _ := filepath.Glob(filepath.Join(os.TempDir(), "fromscratch-smoke-runc-*"))
		if len(left) > 0 {
			t.Errorf("bundles are left behind: %v", left)
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
	t.Run("stdin", func(t *testing.T) {
		// Bytes of every value, more than a pipe holds (64 KiB), so the engine must keep
		// feeding while the program writes.
		in := make([]byte, 300<<10)
		for i := range in {
			in[i] = byte(i * 7)
		}
		s := img.spec
		s.Args, s.Stdin, s.Timeout = []string{"cat"}, in, 30*time.Second
		res := Run(ctx, e, s, Equal("hello from smoke\n"+string(in), 0))
		if res.Status != StatusPass {
			t.Errorf("got %s (%.300s), want pass", res.Status, res.Reason)
		}
	})
	t.Run("no stdin is empty stdin", func(t *testing.T) {
		s := img.spec
		s.Args, s.Timeout = []string{"cat"}, 30*time.Second
		res := Run(ctx, e, s, Equal("hello from smoke\n", 0))
		if res.Status != StatusPass {
			t.Errorf("got %s (%s), want pass: cat of an empty stdin ends at once", res.Status, res.Reason)
		}
	})
	t.Run("stdin the program does not read", func(t *testing.T) {
		s := img.spec
		s.Stdin, s.Timeout = make([]byte, 4<<20), 30*time.Second
		res := Run(ctx, e, s, img.want)
		if res.Status != StatusPass {
			t.Errorf("got %s (%s), want pass: 4 MiB of stdin that hi never reads must not hold it up", res.Status, res.Reason)
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
		// tini (the init) says "exec /hi failed: No such file or directory".
		wantFail(t, res, "the container did not start")
		if !strings.Contains(strings.ToLower(res.Reason), "exec /hi failed: no such file or directory") {
			t.Errorf("reason %q does not say that exec /hi found no such file", res.Reason)
		}
	})
	t.Run("crash", func(t *testing.T) {
		wantCrash(t, e, img.spec)
	})
	t.Run("8 MiB of output", func(t *testing.T) {
		const n = 8 << 20
		s := img.spec
		s.Args = []string{"print", strconv.Itoa(n)}
		dir := t.TempDir()
		s.StdoutFile, s.StderrFile = filepath.Join(dir, "stdout"), filepath.Join(dir, "stderr")
		want := "hello from smoke\n" + printed(n)
		res := Run(ctx, e, s, Equal(want, 0))
		if res.Status != StatusPass {
			t.Fatalf("got %s (%.500s), want pass", res.Status, res.Reason)
		}
		if cut := strings.LastIndex(res.Stdout, "\n["); cut < excerptBytes-3 || cut > excerptBytes || res.Stdout != want[:cut]+fmt.Sprintf("\n[%d bytes left out]", len(want)-cut) {
			t.Errorf("Result.Stdout is %d bytes ending %q, want about %d bytes and a note", len(res.Stdout), res.Stdout[max(0, len(res.Stdout)-40):], excerptBytes)
		}
		if !utf8.ValidString(res.Stdout) {
			t.Error("Result.Stdout is cut inside a UTF-8 character")
		}
		if got, err := os.ReadFile(s.StdoutFile); err != nil || string(got) != want {
			t.Errorf("%s: %d bytes, %v; want the whole %d bytes", s.StdoutFile, len(got), err, len(want))
		}
		if got, err := os.ReadFile(s.StderrFile); err != nil || len(got) != 0 {
			t.Errorf("%s: %q, %v; want it empty", s.StderrFile, got, err)
		}

		// One byte off at the end is found, and the reason stays short.
		res = Run(ctx, e, s, Equal(want[:len(want)-1]+"!", 0))
		wantFail(t, res, "stdout differs")
		if len(res.Reason) > 4*maxShown+500 {
			t.Errorf("reason is %d bytes, want it cut", len(res.Reason))
		}
		// A pattern sees the whole text.
		res = Run(ctx, e, s, Contains("\nsmoke é\nsmo"+"ke é\n", 0))
		if res.Status != StatusPass {
			t.Errorf("got %s (%.500s), want pass", res.Status, res.Reason)
		}
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
			s := foreign.spec
			s.Args, s.Stdin = []string{"cat"}, []byte("fed under qemu\n")
			if res := Run(ctx, e, s, Equal("hello from smoke\nfed under qemu\n", 0)); res.Status != StatusPass {
				t.Errorf("stdin: got %s (%s), want pass", res.Status, res.Reason)
			}
			t.Run("crash", func(t *testing.T) {
				wantCrash(t, e, foreign.spec)
			})
		})
	}
}

// wantCrash checks that a program of spec that segfaults is reported as killed by SIGSEGV, with
// exit 139, not as a time-out: under qemu, a crashed program that is its container's PID 1
// hangs until the time limit (a minute here) instead of dying.
func wantCrash(t *testing.T, e Engine, spec Spec) {
	t.Helper()
	s := spec
	s.Args = []string{"segv"}
	res := Run(context.Background(), e, s, Equal("hello from smoke\n", 0))
	wantFail(t, res, "exit code differs: want 0, got 139 (killed by SIGSEGV)")
	if res.ExitCode != 139 || strings.Contains(res.Reason, "timed out") {
		t.Errorf("exit %d, reason %q: want exit 139 and no time-out", res.ExitCode, res.Reason)
	}
	if strings.Contains(res.Reason, "stdout differs") {
		t.Errorf("reason %q: the output before the crash is lost", res.Reason)
	}
}

// printed is what `hi print n` prints after its first line.
func printed(n int) string {
	const pattern = "smoke é\n"
	return strings.Repeat(pattern, n/len(pattern)+1)[:n]
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

func TestNotStarted(t *testing.T) {
	for _, tc := range []struct {
		exit        int
		stdoutBytes int64
		stderr      string
		want        bool
	}{
		{127, 0, "[FATAL tini (7)] exec /hello failed: No such file or directory\n", true},
		{126, 0, "[FATAL tini (7)] exec /hello failed: Permission denied\n", true},
		{1, 0, "exec /hello: no such file or directory\n", true},
		{125, 0, "docker: Error response from daemon: image with reference x was found but does not match the specified platform\n", true},
		{127, 5, "[FATAL tini (7)] exec /hello failed: No such file or directory\n", false}, // the program ran and printed
		{127, 0, "sh: frob: not found\n", false},                                            // the program's own 127
		{139, 0, "qemu: uncaught target signal 11 (Segmentation fault) - core dumped\n", false},
		{0, 0, "", false},
	} {
		if got := notStarted(tc.exit, tc.stdoutBytes, tc.stderr); got != tc.want {
			t.Errorf("notStarted(%d, %d, %q) = %v, want %v", tc.exit, tc.stdoutBytes, tc.stderr, got, tc.want)
		}
		if got := runcFailed(tc.exit, tc.stdoutBytes, tc.stderr); got != tc.want && tc.exit != 125 {
			t.Errorf("runcFailed(%d, %d, %q) = %v, want %v", tc.exit, tc.stdoutBytes, tc.stderr, got, tc.want)
		}
	}
}

func TestFindInit(t *testing.T) {
	init, err := FindInit()
	if err != nil {
		testutil.Missing(t, "%v", err)
	}
	if err := checkStatic(init); err != nil {
		t.Errorf("FindInit = %s: %v", init, err)
	}
	if err := checkStatic(compile(t, "gcc", false)); err == nil || !strings.Contains(err.Error(), "dynamically linked") {
		t.Errorf("checkStatic(a dynamic hi) = %v, want it refused as dynamically linked", err)
	}
}

// Two runs sharing an engine each run their own image, though both
// archives tag it alike (hello:gcc-static-amd64 of two checkouts): a run
// runs by image ID, and one run's cleanup leaves the other's image. Each
// cleanup removes what it loaded.
func TestDockerRunsSharingAnEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs containers")
	}
	one, two := dockerEngine(t), dockerEngine(t)
	a := newImage(t, compile(t, "gcc", true), "linux/amd64")
	b := a
	b.spec.Archive = filepath.Join(t.TempDir(), "image.tar")
	if err := writeDockerArchive(b.spec.Archive, a.spec.Tag, "linux/amd64", compile(t, "gcc", true), []string{"/hi"}, []string{"7"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	run := func(d *Docker, s Spec, want Expect) {
		t.Helper()
		if res := Run(ctx, d, s, want); res.Status != StatusPass {
			t.Errorf("got %s (%s), want pass", res.Status, res.Reason)
		}
	}
	run(one, a.spec, a.want)
	run(two, b.spec, Equal("hello from smoke\ncode 7\n", 7)) // the tag now names b's image
	run(one, a.spec, a.want)
	idA, _, err := ArchiveImage(a.spec.Archive)
	if err != nil {
		t.Fatal(err)
	}
	if err := two.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := dockerOutput(ctx, os.Environ(), "image", "inspect", a.spec.Tag); err == nil {
		t.Errorf("the second run's cleanup left %s", a.spec.Tag)
	}
	run(one, a.spec, a.want) // by its ID, held by the first run's own tag
	if err := one.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := dockerOutput(ctx, os.Environ(), "image", "inspect", idA); err == nil {
		t.Errorf("the first run's image %s is left after its cleanup", idA)
	}
	for _, d := range []*Docker{one, two} {
		if out, _ := dockerOutput(ctx, os.Environ(), "images", "--quiet", "fromscratch-smoke/"+d.run); strings.TrimSpace(out) != "" {
			t.Errorf("fromscratch-smoke/%s images are left after the cleanup: %s", d.run, out)
		}
	}
}
