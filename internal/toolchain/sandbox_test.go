package toolchain_test

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// buildRoot is a tiny build root: merged /usr, an /etc, root's home, a
// /var/cache, and the top-level names the sandbox makes fresh.
var buildRoot = fstest.MapFS{
	"usr/bin/sh":         {Mode: 0o755},
	"etc/passwd":         {Data: []byte("root:x:0:0::/root:/bin/sh\n")},
	"bin":                {Mode: fs.ModeSymlink, Data: []byte("usr/bin")},
	"lib":                {Mode: fs.ModeSymlink, Data: []byte("usr/lib")},
	"root/.profile":      {Data: []byte("")},
	"root":               {Mode: fs.ModeDir | 0o700},
	"var/cache/apt/x":    {},
	"var/lib/dpkg/x":     {},
	"dev/null":           {},
	"proc/x":             {},
	"tmp/x":              {},
	"run/lock/x":         {},
	"usr/local/bin/keep": {},
}

// sandboxHead is the start of every command line: namespaces, user,
// hostname and the environment.
func sandboxHead(host string, env ...string) []string {
	a := []string{"/usr/bin/bwrap", "--unshare-all", "--unshare-user", "--uid", "1000", "--gid", "1000",
		"--hostname", host, "--die-with-parent", "--new-session", "--clearenv"}
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		a = append(a, "--setenv", k, v)
	}
	return a
}

// rootMounts are buildRoot's entries bound from /R, then the fresh ones.
var rootMounts = []string{
	"--symlink", "usr/bin", "/bin",
	"--ro-bind", "/R/etc", "/etc",
	"--symlink", "usr/lib", "/lib",
	"--ro-bind", "/R/root", "/root",
	"--ro-bind", "/R/usr", "/usr",
	"--ro-bind", "/R/var", "/var",
	"--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--dir", "/run",
}

func TestSandboxArgv(t *testing.T) {
	cc := toolchain.Command{Args: []string{"gcc", "-c", "a.c"}, Dir: "/w/src"}
	tail := []string{"--remount-ro", "/", "--chdir", "/w/src", "--", "gcc", "-c", "a.c"}
	tests := []struct {
		name string
		s    toolchain.Sandbox
		c    toolchain.Command
		env  []string
		want []string
	}{
		{
			name: "places at their own paths, writable before read-only at one depth",
			s:    toolchain.Sandbox{Writable: []string{"/w/src", "/w/stage/"}, ReadOnly: []string{"/deps/zlib"}},
			c:    cc,
			env:  []string{"PATH=/usr/bin", "SOURCE_DATE_EPOCH=1", "EMPTY=", "X=a=b"},
			want: slices.Concat(sandboxHead("fromscratch", "PATH=/usr/bin", "SOURCE_DATE_EPOCH=1", "EMPTY=", "X=a=b"), rootMounts,
				[]string{"--bind", "/w/src", "/w/src", "--bind", "/w/stage", "/w/stage", "--ro-bind", "/deps/zlib", "/deps/zlib"}, tail),
		},
		{
			name: "a read-only stage inside a writable tree is bound after it",
			s:    toolchain.Sandbox{Writable: []string{"/w"}, ReadOnly: []string{"/w/deps/zlib/stage"}, Hostname: "h"},
			c:    cc,
			want: slices.Concat(sandboxHead("h"), rootMounts,
				[]string{"--bind", "/w", "/w", "--ro-bind", "/w/deps/zlib/stage", "/w/deps/zlib/stage"}, tail),
		},
		{
			name: "a place whose mount point the root lacks rebuilds its parents",
			s:    toolchain.Sandbox{Writable: []string{"/root/.cache/fs/src", "/var/cache/fs/src"}},
			c:    toolchain.Command{Args: []string{"make"}},
			want: slices.Concat(sandboxHead("fromscratch"), []string{
				"--symlink", "usr/bin", "/bin",
				"--ro-bind", "/R/etc", "/etc",
				"--symlink", "usr/lib", "/lib",
				"--perms", "0700", "--dir", "/root",
				"--ro-bind", "/R/root/.profile", "/root/.profile",
				"--ro-bind", "/R/usr", "/usr",
				"--perms", "0555", "--dir", "/var", // fstest.MapFS's implicit directories are 0555
				"--perms", "0555", "--dir", "/var/cache",
				"--ro-bind", "/R/var/cache/apt", "/var/cache/apt",
				"--ro-bind", "/R/var/lib", "/var/lib",
				"--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--dir", "/run",
				"--bind", "/root/.cache/fs/src", "/root/.cache/fs/src", "--bind", "/var/cache/fs/src", "/var/cache/fs/src",
				"--remount-ro", "/", "--chdir", "/", "--", "make"}),
		},
		{
			name: "places under /tmp, /run or an existing directory need no rebuilding",
			s:    toolchain.Sandbox{Writable: []string{"/tmp/b", "/usr/local/bin"}, ReadOnly: []string{"/run/x"}},
			c:    cc,
			want: slices.Concat(sandboxHead("fromscratch"), rootMounts,
				[]string{"--bind", "/tmp/b", "/tmp/b", "--ro-bind", "/run/x", "/run/x", "--bind", "/usr/local/bin", "/usr/local/bin"}, tail),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.s.Bwrap, tt.s.Root = "/usr/bin/bwrap", "/R"
			got, err := tt.s.Argv(buildRoot, tt.c, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Argv =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestSandboxArgvRefuses(t *testing.T) {
	tests := []struct {
		name string
		s    toolchain.Sandbox
		c    toolchain.Command
		env  []string
		want string
	}{
		{"a relative place", toolchain.Sandbox{Writable: []string{"src"}}, toolchain.Command{Args: []string{"make"}}, nil, `place "src" is not an absolute path`},
		{"a place in /proc", toolchain.Sandbox{ReadOnly: []string{"/proc/1"}}, toolchain.Command{Args: []string{"make"}}, nil, "place /proc/1: / , /dev and /proc cannot be bound"},
		{"/ as a place", toolchain.Sandbox{Writable: []string{"/"}}, toolchain.Command{Args: []string{"make"}}, nil, "place /: /"},
		{"a place under a root symlink", toolchain.Sandbox{Writable: []string{"/lib/x"}}, toolchain.Command{Args: []string{"make"}}, nil, "place /lib/x is under /lib, a symlink in the build root"},
		{"a place under a root file", toolchain.Sandbox{Writable: []string{"/etc/passwd/x"}}, toolchain.Command{Args: []string{"make"}}, nil, "place /etc/passwd/x is under /etc/passwd, a file in the build root"},
		{"an environment entry without =", toolchain.Sandbox{}, toolchain.Command{Args: []string{"make"}}, []string{"PATH"}, `environment entry "PATH" is not NAME=value`},
		{"an empty command", toolchain.Sandbox{}, toolchain.Command{}, nil, "an empty command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.s.Bwrap, tt.s.Root = "/usr/bin/bwrap", "/R"
			_, err := tt.s.Argv(buildRoot, tt.c, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Argv error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestSandboxEscapeError feeds Wrap the output of real tools that the
// sandbox stopped (a fake runner answers with it) and checks the path or
// address the error names.
func TestSandboxEscapeError(t *testing.T) {
	tests := []struct {
		out     string
		network bool
		want    string // Path or Addr
	}{
		{"install: cannot create regular file '/usr/local/bin/x': Read-only file system\n", false, "/usr/local/bin/x"},
		{"sh: 1: cannot create /etc/x: Read-only file system\n", false, "/etc/x"},
		{"touch: cannot touch '/root/x': Read-only file system\n", false, "/root/x"},
		{"mkdir: cannot create directory ‘/usr/my dir’: Read-only file system\n", false, "/usr/my dir"},
		{"bash: /etc/x: Read-only file system\n", false, "/etc/x"},
		{"tar: /etc/x.tar: Cannot open: Read-only file system\ntar: Error is not recoverable\n", false, "/etc/x.tar"},
		{"/usr/bin/ld: cannot open output file /usr/local/bin/x: Read-only file system\ncollect2: error: ld returned 1 exit status\n", false, "/usr/local/bin/x"},
		{"Traceback:\nOSError: [Errno 30] Read-only file system: '/usr/x'\n", false, "/usr/x"},
		{"make: write error: Read-only file system\n", false, ""},
		{"bash: connect: Connection refused\nbash: line 1: /dev/tcp/127.0.0.1/4444: Connection refused\n", true, "127.0.0.1:4444"},
		{"curl: (7) Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server\n", true, "127.0.0.1:1"},
		{"curl: (6) Could not resolve host: example.com\n", true, "example.com"},
		{"fatal: unable to access 'https://github.com/x/y/': Could not resolve host: github.com\n", true, "github.com"},
		{"Resolving example.com (example.com)... failed: Temporary failure in name resolution.\n", true, "example.com"},
		{"Connecting to 10.0.0.1:8080... failed: Network is unreachable.\n", true, "10.0.0.1:8080"},
		{"ConnectionRefusedError: [Errno 111] Connection refused\n", true, ""},
	}
	for _, tt := range tests {
		stepErr := errors.New("exit status 1")
		fake := func(context.Context, toolchain.Command, []string) ([]byte, error) { return []byte(tt.out), stepErr }
		run := toolchain.Sandbox{Bwrap: "bwrap", Root: t.TempDir()}.Wrap(fake)
		_, err := run(t.Context(), toolchain.Command{Args: []string{"make", "install"}}, nil)
		var e *toolchain.EscapeError
		if !errors.As(err, &e) {
			t.Errorf("%q: error %v is no *EscapeError", tt.out, err)
			continue
		}
		got := e.Path
		if tt.network {
			got = e.Addr
		}
		if e.Network != tt.network || got != tt.want || e.Step != "make install" || !errors.Is(err, stepErr) {
			t.Errorf("%q: got network %v, %q, step %q, %v; want network %v, %q", tt.out, e.Network, got, e.Step, err, tt.network, tt.want)
		}
		if tt.want != "" && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %q does not name %s", tt.out, err, tt.want)
		}
	}
}

// TestSandboxWrapErrors: a failure without an escape passes through, a
// failing bwrap set-up says so, and missing places stop the step before it
// runs.
func TestSandboxWrapErrors(t *testing.T) {
	stepErr := errors.New("exit status 2")
	answer := func(out string) toolchain.Runner {
		return func(context.Context, toolchain.Command, []string) ([]byte, error) { return []byte(out), stepErr }
	}
	c := toolchain.Command{Args: []string{"/usr/bin/make"}}
	s := toolchain.Sandbox{Bwrap: "bwrap", Root: t.TempDir()}
	_, err := s.Wrap(answer("a.c:1: error: expected ';'\n"))(t.Context(), c, nil)
	if err != stepErr {
		t.Errorf("a plain failure became %v", err)
	}
	_, err = s.Wrap(answer("bwrap: Can't chdir to /nowhere: No such file or directory\n"))(t.Context(), c, nil)
	if err == nil || !strings.Contains(err.Error(), "setting up the sandbox for make: exit status 2: Can't chdir to /nowhere") {
		t.Errorf("a set-up failure gave %v", err)
	}
	// bwrap 0.8 where the kernel refuses the namespace (a container's
	// seccomp profile), and where AppArmor does (Ubuntu 24.04).
	for _, refused := range []string{
		"bwrap: No permissions to create a new namespace, likely because the kernel does not allow non-privileged user namespaces. See <https://deb.li/bubblewrap> or <file:///usr/share/doc/bubblewrap/README.Debian.gz>.\n",
		"bwrap: setting up uid map: Permission denied\n",
	} {
		_, err = s.Wrap(answer(refused))(t.Context(), c, nil)
		for _, want := range []string{"setting up the sandbox for make: the kernel refuses this user a user namespace", "user.max_user_namespaces", "seccomp=unconfined"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("bwrap refused a namespace (%q): %v, want it to say %q", refused, err, want)
			}
		}
	}
	ran := false
	never := func(context.Context, toolchain.Command, []string) ([]byte, error) { ran = true; return nil, nil }
	for _, bad := range []toolchain.Sandbox{
		{Bwrap: "bwrap", Root: t.TempDir(), Writable: []string{"/nonexistent/src"}},
		{Bwrap: "bwrap", Root: filepath.Join(t.TempDir(), "missing")},
		{Root: t.TempDir()},
	} {
		ran = false
		_, err := bad.Wrap(never)(t.Context(), c, nil)
		if err == nil || ran {
			t.Errorf("%+v: ran %v, error %v", bad, ran, err)
		}
	}
}
