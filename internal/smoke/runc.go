package smoke

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Runc runs an image's root filesystem as an OCI bundle with `runc run`, without a daemon.
// Foreign platforms run through binfmt_misc entries with the F flag. Without root it runs the
// container rootless: in a user namespace whose root is the caller (runc's own state kept in
// the bundle), where the kernel gives unprivileged users one (RootlessProblem).
//
// Like `docker run --init`, the program runs under a static init (tini) as PID 1, bound
// read-only into the container at /sbin/docker-init: a program that is PID 1 does not die of a
// signal it sends itself, and qemu-user ends a crashed foreign program that way.
type Runc struct {
	// Init is the static init binary on the host; "" finds docker-init or tini-static.
	Init string
}

// Name is "runc".
func (Runc) Name() string { return "runc" }

// Cleanup has nothing to remove: every run deletes its own bundle and
// container.
func (Runc) Cleanup(context.Context) error { return nil }

// initPath is where both engines put the init in the container (Docker's own choice).
const initPath = "/sbin/docker-init"

// Run unpacks s into a temporary bundle, runs entrypoint plus Args (or Cmd) in it under the
// init and deletes bundle and container. runc run (not detached, no terminal) passes its own
// stdin on to the program: s.Stdin, or else the empty /dev/null. runc's own failures (it could not create or start the
// container, or the program's exec was refused) are errors carrying its stderr.
func (r Runc) Run(ctx context.Context, s Spec, stdout, stderr io.Writer) (exit int, err error) {
	argv := s.argv()
	if len(argv) == 0 {
		return -1, fmt.Errorf("running %s with runc: the image has neither entrypoint nor cmd", s.Name)
	}
	if s.Unpack == nil {
		return -1, fmt.Errorf("running %s with runc: the spec cannot unpack its root filesystem", s.Name)
	}
	init := r.Init
	if init == "" {
		if init, err = FindInit(); err != nil {
			return -1, fmt.Errorf("running %s with runc: %w", s.Name, err)
		}
	}
	bundle, err := os.MkdirTemp("", "fromscratch-smoke-runc-")
	if err != nil {
		return -1, fmt.Errorf("making a runc bundle: %w", err)
	}
	defer os.RemoveAll(bundle)
	rootfs := filepath.Join(bundle, "rootfs")
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		return -1, fmt.Errorf("making a runc bundle: %w", err)
	}
	if err := s.Unpack(rootfs); err != nil {
		return -1, fmt.Errorf("unpacking %s: %w", s.Name, err)
	}
	owner := -1 // root: no user namespace
	if uid := os.Geteuid(); uid != 0 {
		owner = uid
	}
	config, err := json.MarshalIndent(runcConfig(init, argv, owner, os.Getegid(), QEMUCPU(s.Platform)), "", "\t")
	if err != nil {
		return -1, fmt.Errorf("encoding the runc config: %w", err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), config, 0o644); err != nil {
		return -1, fmt.Errorf("writing the runc config: %w", err)
	}

	id := "fromscratch-smoke-" + randomID()
	var global []string // runc's options before the command
	if owner >= 0 {
		// runc's state directory (/run/runc) is root's: keep the
		// state of this one container in its bundle.
		global = []string{"--root", filepath.Join(bundle, "state")}
	}
	deleteContainer := func() { runcDelete(global, id) }
	cmd := exec.CommandContext(ctx, "runc", append(global, "run", "--bundle", bundle, id)...)
	cmd.Env = []string{"PATH=" + daemonPath()}
	cmd.Dir = bundle
	if s.Stdin != nil {
		cmd.Stdin = bytes.NewReader(s.Stdin)
	}
	out, errOut := newStream(Expect{}), newStream(Expect{})
	cmd.Stdout, cmd.Stderr = io.MultiWriter(stdout, out), io.MultiWriter(stderr, errOut)
	// Killing `runc run` would leave the container running: kill the container first.
	cmd.Cancel = func() error {
		deleteContainer()
		return cmd.Process.Kill()
	}
	cmd.WaitDelay = 5 * time.Second
	runErr := cmd.Run()
	if ctx.Err() != nil {
		deleteContainer()
		return -1, fmt.Errorf("running %s with runc: %w", s.Name, ctx.Err())
	}
	var exitErr *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exitErr) {
		return -1, fmt.Errorf("running runc run: %w", runErr)
	}
	exit = cmd.ProcessState.ExitCode()
	if runcFailed(exit, out.n, string(errOut.head)) {
		deleteContainer()
		return exit, fmt.Errorf("runc run %s: the container did not start (exit %d): %s", s.Name, exit, strings.TrimSpace(string(errOut.head)))
	}
	return exit, nil
}

// initNames are the static inits looked for, in order: Docker's name for its init (Debian's
// docker.io links it to tini-static), and Debian tini's static build.
var initNames = []string{"docker-init", "tini-static"}

// FindInit is the host's static init for runc containers: the first of docker-init and
// tini-static on PATH (and the sbin directories) that is a statically linked ELF, since it runs
// inside a scratch image.
func FindInit() (string, error) {
	var tried []string
	for _, name := range initNames {
		path, err := lookPath(name, daemonPath())
		if err != nil {
			continue
		}
		if err := checkStatic(path); err != nil {
			tried = append(tried, err.Error())
			continue
		}
		return path, nil
	}
	msg := "no static init to run as the containers' PID 1 (apt-get install tini)"
	if len(tried) > 0 {
		msg += ": " + strings.Join(tried, "; ")
	}
	return "", errors.New(msg)
}

// lookPath finds an executable name in the directories of path.
func lookPath(name, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not in %s", name, path)
}

// checkStatic reports an error unless path is an ELF executable without an interpreter.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked", path)
		}
	}
	return nil
}

// runcFailed tells runc's own failure from a program's exit: runc reports failures on stderr
// as "runc run failed: ..." (or logrus lines), and a refused exec of the program as execFailed
// says.
func runcFailed(exit int, stdoutBytes int64, stderr string) bool {
	if exit == 0 {
		return false
	}
	if strings.Contains(stderr, "runc run failed: ") || strings.Contains(stderr, "level=error") {
		return true
	}
	return stdoutBytes == 0 && execFailed.MatchString(stderr)
}

// runcDelete force-deletes a container (it may already be gone).
func runcDelete(global []string, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "runc", append(global, "delete", "--force", id)...)
	cmd.Env = []string{"PATH=" + daemonPath()}
	cmd.Run()
}

// runcConfig is a minimal OCI runtime config for a scratch image: init (bound read-only at
// initPath) runs argv as root in "/" with only PATH set (and QEMU_CPU for a platform whose
// CPUs qemu's default would not stand for: QEMUCPU), no capabilities and no core dumps, on a
// read-only root filesystem, in new pid, mount, ipc, uts and network namespaces (so no network
// at all, like `docker run --network none`). Like docker it mounts /proc and a /dev tmpfs, where
// runc creates the standard device nodes (/dev/null, ...); programs, and qemu for foreign
// platforms, expect both. uid and gid, unless uid is -1 (runc runs as root), are the caller's:
// the container then has a user namespace of its own whose root is they (rootless, as `runc
// spec --rootless` writes it; runc binds the host's device nodes instead of making them).
func runcConfig(init string, argv []string, uid, gid int, qemuCPU string) map[string]any {
	ns := func(t string) map[string]string { return map[string]string{"type": t} }
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	if qemuCPU != "" {
		env = append(env, "QEMU_CPU="+qemuCPU)
	}
	namespaces := []map[string]string{ns("pid"), ns("network"), ns("ipc"), ns("uts"), ns("mount")}
	linux := map[string]any{"namespaces": namespaces}
	if uid >= 0 {
		linux["namespaces"] = append(namespaces, ns("user"))
		linux["uidMappings"] = []map[string]int{{"containerID": 0, "hostID": uid, "size": 1}}
		linux["gidMappings"] = []map[string]int{{"containerID": 0, "hostID": gid, "size": 1}}
	}
	return map[string]any{
		"ociVersion": "1.0.2",
		"process": map[string]any{
			"terminal":        false,
			"user":            map[string]int{"uid": 0, "gid": 0},
			"args":            append([]string{initPath, "--"}, argv...),
			"env":             env,
			"cwd":             "/",
			"noNewPrivileges": true,
			"rlimits":         []map[string]any{{"type": "RLIMIT_CORE", "hard": 0, "soft": 0}},
		},
		"root":     map[string]any{"path": "rootfs", "readonly": true},
		"hostname": "smoke",
		"mounts": []map[string]any{
			{"destination": "/proc", "type": "proc", "source": "proc", "options": []string{"nosuid", "noexec", "nodev"}},
			{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{"destination": initPath, "type": "bind", "source": init, "options": []string{"bind", "ro", "nosuid", "nodev"}},
		},
		"linux": linux,
	}
}

// RootlessProblem says why runc cannot run a container without root here, "" when it can (or
// the caller is root): the kernel must give this user a user namespace, which `runc --version`
// in a new one shows (one short process). It names no uid: it becomes the smoke runs' reason in
// the matrix.
func RootlessProblem(ctx context.Context) string {
	uid, gid := os.Geteuid(), os.Getegid()
	if uid == 0 {
		return ""
	}
	cmd := exec.CommandContext(ctx, "runc", "--version")
	cmd.Env = []string{"PATH=" + daemonPath()}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}},
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Sprintf("runc without root needs a user namespace, which the kernel refuses this user (%v%s): "+
			"allow unprivileged user namespaces (sysctl user.max_user_namespaces, and kernel.unprivileged_userns_clone=1 where it exists), or run as root",
			err, strings.TrimSpace(" "+string(out)))
	}
	return ""
}
