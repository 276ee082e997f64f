package smoke

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Runc runs an image's root filesystem as an OCI bundle with `runc run`, without a daemon. It
// needs root. Foreign platforms run through binfmt_misc entries with the F flag.
type Runc struct{}

// Name is "runc".
func (Runc) Name() string { return "runc" }

// Run unpacks s into a temporary bundle, runs entrypoint plus Args (or Cmd) in it and deletes
// bundle and container. runc's own failures (it could not create or start the container) are
// errors carrying its stderr.
func (Runc) Run(ctx context.Context, s Spec) (stdout, stderr string, exit int, err error) {
	argv := s.argv()
	if len(argv) == 0 {
		return "", "", -1, fmt.Errorf("running %s with runc: the image has neither entrypoint nor cmd", s.Name)
	}
	if s.Unpack == nil {
		return "", "", -1, fmt.Errorf("running %s with runc: the spec cannot unpack its root filesystem", s.Name)
	}
	bundle, err := os.MkdirTemp("", "fromscratch-smoke-runc-")
	if err != nil {
		return "", "", -1, fmt.Errorf("making a runc bundle: %w", err)
	}
	defer os.RemoveAll(bundle)
	rootfs := filepath.Join(bundle, "rootfs")
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		return "", "", -1, fmt.Errorf("making a runc bundle: %w", err)
	}
	if err := s.Unpack(rootfs); err != nil {
		return "", "", -1, fmt.Errorf("unpacking %s: %w", s.Name, err)
	}
	config, err := json.MarshalIndent(runcConfig(argv), "", "\t")
	if err != nil {
		return "", "", -1, fmt.Errorf("encoding the runc config: %w", err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), config, 0o644); err != nil {
		return "", "", -1, fmt.Errorf("writing the runc config: %w", err)
	}

	id := "fromscratch-smoke-" + randomID()
	cmd := exec.CommandContext(ctx, "runc", "run", "--bundle", bundle, id)
	cmd.Env = []string{"PATH=" + daemonPath()}
	cmd.Dir = bundle
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	// Killing `runc run` would leave the container running: kill the container first.
	cmd.Cancel = func() error {
		runcDelete(id)
		return cmd.Process.Kill()
	}
	cmd.WaitDelay = 5 * time.Second
	runErr := cmd.Run()
	if ctx.Err() != nil {
		runcDelete(id)
		return out.String(), errOut.String(), -1, fmt.Errorf("running %s with runc: %w", s.Name, ctx.Err())
	}
	var exitErr *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exitErr) {
		return out.String(), errOut.String(), -1, fmt.Errorf("running runc run: %w", runErr)
	}
	exit = cmd.ProcessState.ExitCode()
	if runcFailed(exit, out.String(), errOut.String()) {
		runcDelete(id)
		return out.String(), errOut.String(), exit, fmt.Errorf("runc run %s: the container did not start (exit %d): %s", s.Name, exit, strings.TrimSpace(errOut.String()))
	}
	return out.String(), errOut.String(), exit, nil
}

// runcFailed tells runc's own failure from a program's exit: runc reports failures on stderr
// as "runc run failed: ..." (or logrus lines), and runc 1.1's init reports a refused exec as
// "exec /hi: no such file or directory".
func runcFailed(exit int, stdout, stderr string) bool {
	if exit == 0 {
		return false
	}
	if strings.Contains(stderr, "runc run failed: ") || strings.Contains(stderr, "level=error") {
		return true
	}
	return stdout == "" && execFailed.MatchString(stderr)
}

// runcDelete force-deletes a container (it may already be gone).
func runcDelete(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "runc", "delete", "--force", id)
	cmd.Env = []string{"PATH=" + daemonPath()}
	cmd.Run()
}

// runcConfig is a minimal OCI runtime config for a scratch image: the process runs as root in
// "/" with only PATH set and no capabilities, on a read-only root filesystem, in new pid, mount,
// ipc, uts and network namespaces (so no network at all, like `docker run --network none`).
// Like docker it mounts /proc and a /dev tmpfs, where runc creates the standard device nodes
// (/dev/null, ...); programs, and qemu for foreign platforms, expect both.
func runcConfig(argv []string) map[string]any {
	ns := func(t string) map[string]string { return map[string]string{"type": t} }
	return map[string]any{
		"ociVersion": "1.0.2",
		"process": map[string]any{
			"terminal":        false,
			"user":            map[string]int{"uid": 0, "gid": 0},
			"args":            argv,
			"env":             []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			"cwd":             "/",
			"noNewPrivileges": true,
		},
		"root":     map[string]any{"path": "rootfs", "readonly": true},
		"hostname": "smoke",
		"mounts": []map[string]any{
			{"destination": "/proc", "type": "proc", "source": "proc", "options": []string{"nosuid", "noexec", "nodev"}},
			{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		},
		"linux": map[string]any{
			"namespaces": []map[string]string{ns("pid"), ns("network"), ns("ipc"), ns("uts"), ns("mount")},
		},
	}
}
