package toolchain_test

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/fromscratch/fromscratch/internal/testutil"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// hostSandbox is a sandbox around the host's own / (read-only) with one
// writable tree and one read-only tree standing for the repository, or
// stops the test when bubblewrap is missing or the kernel refuses it the
// user namespace.
func hostSandbox(t testing.TB) (s toolchain.Sandbox, writable, repo string) {
	t.Helper()
	bwrap, err := toolchain.FindBwrap([]string{"/usr/bin", "/bin"})
	if err != nil {
		testutil.Missing(t, "%v", err)
	}
	writable, repo = t.TempDir(), t.TempDir()
	s = toolchain.Sandbox{Bwrap: bwrap, Root: "/", Writable: []string{writable}, ReadOnly: []string{repo}}
	out, err := s.Wrap(toolchain.Exec)(t.Context(), toolchain.Command{Args: []string{"true"}}, nil)
	switch {
	case err != nil && strings.Contains(string(out), "namespace"):
		testutil.Missing(t, "user namespaces for bubblewrap: %v", err)
	case err != nil:
		t.Fatalf("the sandbox runs no step: %v", err)
	}
	return s, writable, repo
}

var sandboxEnv = []string{"PATH=/usr/bin:/bin", "HOME=/root", "LC_ALL=C"}

func sh(script string, args ...any) toolchain.Command {
	return toolchain.Command{Args: []string{"/bin/sh", "-c", fmt.Sprintf(script, args...)}}
}

// mustNotExist fails when p exists on the host.
func mustNotExist(t *testing.T, p string) {
	t.Helper()
	if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s exists on the host (%v)", p, err)
	}
}

// TestSandboxRefusesWrites: a step that writes to /usr/local/bin, /etc,
// $HOME, the repository or through a symlink out of its tree fails with an
// *EscapeError naming the path, and the host is unchanged.
func TestSandboxRefusesWrites(t *testing.T) {
	s, w, repo := hostSandbox(t)
	name := fmt.Sprintf("fromscratch-escape-%d", os.Getpid())
	hostFile := filepath.Join(repo, "kept")
	if err := os.WriteFile(hostFile, []byte("original"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(hostFile, filepath.Join(w, "out")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		c    toolchain.Command
		path string // the path the error names, absent before and after
	}{
		{"/usr/local/bin", sh("install -m 755 /bin/true /usr/local/bin/%s", name), "/usr/local/bin/" + name},
		{"/etc", sh("echo x > /etc/%s", name), "/etc/" + name},
		{"$HOME", sh(`touch "$HOME/%s"`, name), "/root/" + name},
		{"a new top-level directory", sh("mkdir /%s", name), "/" + name},
		{"the repository", sh("echo x > %s/%s", repo, name), filepath.Join(repo, name)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustNotExist(t, tt.path)
			out, err := s.Wrap(toolchain.Exec)(t.Context(), tt.c, sandboxEnv)
			var e *toolchain.EscapeError
			if !errors.As(err, &e) || e.Network || e.Path != tt.path {
				t.Fatalf("error %v (%#v), want an *EscapeError naming %s; output %s", err, e, tt.path, out)
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name %s", err, tt.path)
			}
			mustNotExist(t, tt.path)
		})
	}
	// The step names the link it wrote to; the file behind it is unchanged.
	out, err := s.Wrap(toolchain.Exec)(t.Context(), sh("echo changed > %s/out", w), sandboxEnv)
	var e *toolchain.EscapeError
	if !errors.As(err, &e) || e.Path != filepath.Join(w, "out") {
		t.Errorf("writing through a symlink out of the tree: %v, want an *EscapeError naming %s/out; output %s", err, w, out)
	}
	if b, err := os.ReadFile(hostFile); err != nil || string(b) != "original" {
		t.Errorf("the host file behind the symlink holds %q, %v", b, err)
	}
}

// TestSandboxHidesTheRest: a symlink to a host directory that is none of
// the step's places leads nowhere (the write fails, nothing is created),
// and /run is empty even with the host's / as the root.
func TestSandboxHidesTheRest(t *testing.T) {
	s, w, _ := hostSandbox(t)
	outside := t.TempDir()
	rel, err := filepath.Rel(w, filepath.Join(outside, "new"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(rel, filepath.Join(w, "link")); err != nil {
		t.Fatal(err)
	}
	out, err := s.Wrap(toolchain.Exec)(t.Context(), sh("echo x > %s/link", w), sandboxEnv)
	if err == nil {
		t.Errorf("writing through a symlink to %s worked: %s", outside, out)
	}
	mustNotExist(t, filepath.Join(outside, "new"))
	out, err = s.Wrap(toolchain.Exec)(t.Context(), toolchain.Command{Args: []string{"ls", "-A", "/run"}}, sandboxEnv)
	if err != nil || len(out) != 0 {
		t.Errorf("ls -A /run: %q, %v; want nothing", out, err)
	}
}

// TestSandboxRefusesNetwork: a TCP connection to a port the test listens
// on fails with an *EscapeError naming the address, and the listener sees
// no connection.
func TestSandboxRefusesNetwork(t *testing.T) {
	s, _, _ := hostSandbox(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	addr := ln.Addr().(*net.TCPAddr)
	c := toolchain.Command{Args: []string{"bash", "-c", fmt.Sprintf("exec 3<>/dev/tcp/127.0.0.1/%d", addr.Port)}}
	out, err := s.Wrap(toolchain.Exec)(t.Context(), c, sandboxEnv)
	ln.Close()
	<-done
	var e *toolchain.EscapeError
	want := fmt.Sprintf("127.0.0.1:%d", addr.Port)
	if !errors.As(err, &e) || !e.Network || e.Addr != want || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want an *EscapeError naming %s; output %s", err, want, out)
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("the test's listener accepted %d connections from the sandbox", n)
	}
}

// TestSandboxStep: a step writes into its writable tree (the files land on
// the host, owned by the invoking user), sees exactly its environment (and
// PWD, which bwrap sets to the step's directory as a shell does), the
// fixed hostname and user, a new PID namespace, and a /tmp that vanishes.
func TestSandboxStep(t *testing.T) {
	s, w, _ := hostSandbox(t)
	run := s.Wrap(toolchain.Exec)
	ctx := t.Context()
	if out, err := run(ctx, toolchain.Command{Args: []string{"sh", "-c", "mkdir d && echo built > d/f"}, Dir: w}, sandboxEnv); err != nil {
		t.Fatalf("writing into the writable tree: %v: %s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(w, "d", "f"))
	if err != nil || string(b) != "built\n" {
		t.Errorf("the step's file on the host: %q, %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(w, "d", "f")); err == nil && int(fi.Sys().(*syscall.Stat_t).Uid) != os.Geteuid() {
		t.Errorf("the step's file belongs to uid %d on the host, want %d", fi.Sys().(*syscall.Stat_t).Uid, os.Geteuid())
	}
	out, err := run(ctx, toolchain.Command{Args: []string{"env"}, Dir: w}, sandboxEnv)
	want := append(slices.Clone(sandboxEnv), "PWD="+w)
	if got := strings.Split(strings.TrimSpace(string(out)), "\n"); err != nil || !slices.Equal(got, want) {
		t.Errorf("env in the sandbox: %q, %v; want exactly %q", got, err, want)
	}
	_, err = run(ctx, toolchain.Command{Args: []string{"true"}}, []string{"PATH=/nonexistent"})
	if err == nil || !strings.Contains(err.Error(), "starting true in the sandbox: exit status 1: execvp true: No such file or directory") {
		t.Errorf("a program not on the step's PATH: %v", err)
	}
	tmp := fmt.Sprintf("/tmp/fromscratch-sandbox-%d", os.Getpid())
	for c, want := range map[string]string{
		"hostname":                           toolchain.DefaultHostname,
		"id -u; id -g":                       fmt.Sprintf("%d\n%d", toolchain.BuildUID, toolchain.BuildGID),
		"echo $$":                            "2", // bwrap is PID 1 of the new namespace
		"echo x > " + tmp + " && cat " + tmp: "x",
		"test -e " + tmp + " || echo gone":   "gone",
	} {
		out, err := run(ctx, sh("%s", c), sandboxEnv)
		if got := strings.TrimSpace(string(out)); err != nil || got != want {
			t.Errorf("%s in the sandbox: %q, %v; want %q", c, got, err, want)
		}
	}
	mustNotExist(t, tmp)
}

// TestSandboxOwnRoot runs a step in a root of its own (the host's dash,
// loader and libc in a merged-/usr tree) with a writable place whose mount
// point the root lacks (/var/tmp/..., where the root has only /var/cache):
// the step sees the root, not the host, writes into its place, and a write
// next to it fails.
func TestSandboxOwnRoot(t *testing.T) {
	s, _, _ := hostSandbox(t)
	s.Root = miniRoot(t)
	place, err := os.MkdirTemp("/var/tmp", "fs-sandbox-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(place) })
	s.Writable, s.ReadOnly = []string{place}, nil
	run := s.Wrap(toolchain.Exec)
	out, err := run(t.Context(), sh(`echo built > %s/f && echo /var/* /usr/bin/* && read l < /etc/passwd && echo "$l"`, place), []string{"PATH=/usr/bin"})
	want := "/var/cache /var/tmp /usr/bin/sh\nroot:x:0:0:root:/root:/bin/sh\n"
	if err != nil || string(out) != want {
		t.Errorf("the step saw %q, %v; want %q", out, err, want)
	}
	if b, err := os.ReadFile(filepath.Join(place, "f")); err != nil || string(b) != "built\n" {
		t.Errorf("the step's file on the host: %q, %v", b, err)
	}
	for _, p := range []string{"/var/new", "/var/cache/new", "/new"} {
		_, err := run(t.Context(), sh("echo x > %s", p), []string{"PATH=/usr/bin"})
		var e *toolchain.EscapeError
		if !errors.As(err, &e) || e.Path != p {
			t.Errorf("writing %s: %v, want an *EscapeError naming it", p, err)
		}
		mustNotExist(t, p)
		mustNotExist(t, filepath.Join(s.Root, p))
	}
}

// miniRoot is a merged-/usr build root holding the host's dash as
// /usr/bin/sh with its loader and libc (Debian's multiarch layout), an
// /etc/passwd and /var/cache.
func miniRoot(t *testing.T) string {
	t.Helper()
	r := t.TempDir()
	f, err := elf.Open("/usr/bin/dash")
	if err != nil {
		t.Skipf("no host dash to build a root from: %v", err)
	}
	defer f.Close()
	var interp string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, _ := io.ReadAll(p.Open())
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	top := strings.Split(interp, "/")[1] // lib64 for /lib64/ld-linux-x86-64.so.2
	libc, err := filepath.EvalSymlinks(filepath.Join(filepath.Dir(mustEval(t, interp)), "libc.so.6"))
	if err != nil || !strings.HasPrefix(interp, "/lib") || !strings.HasPrefix(libc, "/usr/lib/") {
		t.Skipf("the host's loader %s and libc %s are not in Debian's merged-/usr layout", interp, libc)
	}
	files := map[string]string{ // in the root: from the host
		"usr/bin/sh":         "/usr/bin/dash",
		"usr" + interp:       mustEval(t, interp),
		libc[1:]:             libc,
		"etc/passwd":         "",
		"var/cache/apt/keep": "",
	}
	for dst, src := range files {
		b := []byte("root:x:0:0:root:/root:/bin/sh\n")
		if src != "" {
			if b, err = os.ReadFile(src); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.MkdirAll(filepath.Join(r, filepath.Dir(dst)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r, dst), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []string{"bin", top} {
		if err := os.Symlink("usr/"+l, filepath.Join(r, l)); err != nil && !errors.Is(err, os.ErrExist) {
			t.Fatal(err)
		}
	}
	return r
}

func mustEval(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Skipf("resolving %s on the host: %v", p, err)
	}
	return r
}
