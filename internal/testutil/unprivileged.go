package testutil

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// UnprivilegedUID is the uid and gid a test runs a child process as to
// check what works without root: nobody's and nogroup's on Debian and
// Ubuntu, which own nothing.
const UnprivilegedUID = 65534

// unprivilegedEnv holds, in the child RunUnprivileged starts, the name of
// the test it runs for and its arguments: "NAME JSON" (a test name has no space).
const unprivilegedEnv = "FROMSCRATCH_TEST_UNPRIVILEGED"

// UnprivilegedArgs says whether this process is the child that
// RunUnprivileged started for t, and if so decodes the arguments the
// parent gave into args.
func UnprivilegedArgs(t testing.TB, args any) bool {
	t.Helper()
	name, data, ok := strings.Cut(os.Getenv(unprivilegedEnv), " ")
	if !ok || name != t.Name() {
		return false
	}
	if err := json.Unmarshal([]byte(data), args); err != nil {
		t.Fatalf("the child's arguments %q: %v", data, err)
	}
	return true
}

// NeedRoot skips t unless it runs as root: only root can start a process
// as another user.
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("runs a child as another user, which needs root (run as a user, the whole suite is that check)")
	}
}

// SharedTempDir is a new directory that UnprivilegedUID can enter and
// read (0755, under /var/tmp, whose parents are open to everyone; t's own
// TempDir is 0700), removed when t ends.
func SharedTempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("/var/tmp", "fromscratch-unprivileged-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// UnprivilegedDir is a new directory under SharedTempDir that belongs to
// UnprivilegedUID: a place where the child may write.
func UnprivilegedDir(t testing.TB, name string) string {
	t.Helper()
	dir := filepath.Join(SharedTempDir(t), name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, UnprivilegedUID, UnprivilegedUID); err != nil {
		t.Fatal(err)
	}
	return dir
}

// RunUnprivileged runs t's test again in a child process (this test
// binary, copied where the user can execute it) as UnprivilegedUID, with
// args (JSON) for it to read with UnprivilegedArgs, and returns the
// child's output and error (an exit status when one of its checks
// failed). The child starts in this process's directory, with PATH, HOME
// and TMPDIR (places of its own), and env besides. It needs root
// (NeedRoot).
func RunUnprivileged(t *testing.T, args any, env ...string) ([]byte, error) {
	t.Helper()
	NeedRoot(t)
	data, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(SharedTempDir(t), filepath.Base(os.Args[0]))
	if err := copyExecutable(os.Args[0], bin); err != nil {
		t.Fatal(err)
	}
	home := UnprivilegedDir(t, "home")
	var run []string
	for _, part := range strings.Split(t.Name(), "/") {
		run = append(run, "^"+regexp.QuoteMeta(part)+"$")
	}
	cmd := exec.CommandContext(t.Context(), bin, "-test.run="+strings.Join(run, "/"), "-test.v", "-test.count=1")
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TMPDIR=" + home,
		unprivilegedEnv + "=" + t.Name() + " " + string(data),
	}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: UnprivilegedUID, Gid: UnprivilegedUID, Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	if !strings.Contains(string(out), "--- ") {
		// The child never ran its test: this process's directory or
		// binary is out of the user's reach, or the name matched none.
		t.Fatalf("starting the test as uid %d: %v\n%s", UnprivilegedUID, err, out)
	}
	return out, err
}

// UserNamespaces skips t unless UnprivilegedUID may run bwrap in a user
// namespace of its own (the kernel allows unprivileged user namespaces:
// user.max_user_namespaces above 0, and on Debian's older kernels
// kernel.unprivileged_userns_clone = 1; Ubuntu 24.04's AppArmor may
// refuse it too).
func UserNamespaces(t testing.TB, bwrap string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bwrap, "--unshare-user", "--unshare-net", "--ro-bind", "/", "/", "true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: UnprivilegedUID, Gid: UnprivilegedUID, Groups: []uint32{}}}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("the kernel refuses uid %d a user namespace (bwrap: %v: %s)", UnprivilegedUID, err, strings.TrimSpace(string(out)))
	}
}

func copyExecutable(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ResultLines are the lines of a child test's output that say how each
// test and subtest ended ("--- PASS: ..."): what a parent logs when the
// child passed.
func ResultLines(out []byte) string {
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "--- ") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
