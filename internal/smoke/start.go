package smoke

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// dockerdStartup is how long StartDocker waits for a started dockerd to answer.
const dockerdStartup = 60 * time.Second

// StartDocker makes sure a docker engine answers: if `docker info` does, it does nothing; else,
// as root, it starts `dockerd --iptables=false --bridge=none` in its own session (so it outlives
// the caller) with its output appended to logPath, and waits up to 60 s for it to answer.
func StartDocker(ctx context.Context, logPath string) error {
	infoErr := dockerInfo(ctx, nil)
	if infoErr == nil {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("starting dockerd needs root (%v)", infoErr)
	}
	dockerd, err := exec.LookPath("dockerd")
	if err != nil {
		return errors.New("starting dockerd: dockerd is not installed (apt-get install docker.io)")
	}
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return fmt.Errorf("starting dockerd: %w", err)
	}
	log, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("starting dockerd: %w", err)
	}
	// Not CommandContext: the daemon must outlive ctx and the caller.
	cmd := exec.Command(dockerd, "--iptables=false", "--bridge=none")
	cmd.Env = []string{"PATH=" + daemonPath(), "HOME=/root"}
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	log.Close()
	if err != nil {
		return fmt.Errorf("starting dockerd: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	deadline := time.NewTimer(dockerdStartup)
	defer deadline.Stop()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("starting dockerd: it exited (%v); its log %s ends with: %s", err, logPath, tail(logPath))
		case <-ctx.Done():
			return fmt.Errorf("waiting for dockerd (pid %d): %w", cmd.Process.Pid, ctx.Err())
		case <-deadline.C:
			return fmt.Errorf("waiting for dockerd (pid %d): no answer to `docker info` after %s; its log %s ends with: %s", cmd.Process.Pid, dockerdStartup, logPath, tail(logPath))
		case <-tick.C:
			if dockerInfo(ctx, nil) == nil {
				return nil
			}
		}
	}
}

// daemonPath is the system PATH, with the sbin directories where Debian
// puts dockerd, containerd and runc.
func daemonPath() string {
	return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

// tail is the last 1 kB of a log file, for errors.
func tail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(data) > 1024 {
		data = data[len(data)-1024:]
	}
	return strings.TrimSpace(string(data))
}
