package toolchain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// Runner starts one command with an explicit environment and returns its
// combined output. Exec is the real one; tests swap in their own.
type Runner func(ctx context.Context, c Command, env []string) ([]byte, error)

// Exec runs c with os/exec: no shell, no inherited environment.
func Exec(ctx context.Context, c Command, env []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...)
	cmd.Dir = c.Dir
	// A nil Env would inherit the host's environment: never pass nil.
	cmd.Env = append([]string{}, env...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.Bytes(), err
}

// Build runs the plan's steps in order and returns the log of everything
// that ran (commands and their output). The error of a failing step carries
// the step and its output. After the steps it checks what the compiler
// read (the dependency files of Steps, see CheckDeps): a file the cache key
// does not cover fails the build with a *DepError and removes the binary,
// so a caller that caches only successful builds never caches or serves a
// binary built from it.
func Build(ctx context.Context, run Runner, p Plan, env []string) ([]byte, error) {
	var log bytes.Buffer
	for _, d := range []string{p.WorkDir, filepath.Dir(p.Output)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("creating %s: %w", d, err)
		}
	}
	for _, s := range p.sources() {
		if err := os.MkdirAll(filepath.Dir(s.dep), 0o755); err != nil {
			return nil, fmt.Errorf("creating object dir: %w", err)
		}
	}
	if err := p.runSteps(ctx, run, env, &log); err != nil {
		return log.Bytes(), err
	}
	// A binary built from files the cache key does not cover must never
	// be cached or served: the build fails instead, and leaves no binary
	// for a later step (image:all reuses out/bin) to pick up.
	if err := p.checkDeps(env); err != nil {
		fmt.Fprintf(&log, "checking what the compiler read: %v\n", err)
		if rerr := os.Remove(p.Output); rerr != nil && !os.IsNotExist(rerr) {
			err = errors.Join(err, fmt.Errorf("removing the unchecked binary: %w", rerr))
		}
		return log.Bytes(), err
	}
	return log.Bytes(), nil
}

// runSteps runs p's steps with run, one by one or (Batched) as one
// command, and logs each with its output.
func (p Plan) runSteps(ctx context.Context, run Runner, env []string, log *bytes.Buffer) error {
	steps := p.Steps()
	if p.Batched && len(steps) > 1 {
		return runOneShell(ctx, run, steps, env, log)
	}
	for _, step := range steps {
		fmt.Fprintf(log, "$ %s\n", step)
		out, err := run(ctx, step, env)
		log.Write(out)
		if err != nil {
			return planStepError(step, err, out)
		}
	}
	return nil
}

var versionRE = regexp.MustCompile(`\d+\.\d+(\.\d+)?`)

// Tail is the end of a command's output for its error message: the last
// n bytes, trimmed.
func Tail(out []byte, n int) string {
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return strings.TrimSpace(string(out))
}

// ParseVersion takes the first dotted version number from a version
// command's output.
func ParseVersion(out string) (string, error) {
	v := versionRE.FindString(out)
	if v == "" {
		return "", fmt.Errorf("no version number in %q", strings.TrimSpace(out))
	}
	return v, nil
}

// ExecTo is Exec streaming the command's output to w as it comes (for
// long commands such as go test); the returned output is empty.
func ExecTo(w io.Writer) Runner {
	return func(ctx context.Context, c Command, env []string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...)
		cmd.Dir = c.Dir
		cmd.Env = append([]string{}, env...)
		cmd.Stdout, cmd.Stderr = w, w
		return nil, cmd.Run()
	}
}
