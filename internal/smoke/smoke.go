// Package smoke runs a built image for real, in docker or runc, and compares what the program
// printed and how it exited with what its recipe expects. A platform the machine cannot run
// (no binfmt_misc handler) is skipped with a reason, never passed.
package smoke

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Spec is one image to run.
type Spec struct {
	Name     string // for messages, e.g. "hello linux/arm64 gcc-static"
	Archive  string // a `docker load`-able tar of the image
	Tag      string // the tag inside the archive, e.g. "hello:gcc-static-arm64"
	Platform string // "linux/arm/v7" etc.
	// Args replace the image's default Cmd, as with `docker run IMAGE ARGS...`; empty keeps Cmd.
	Args []string
	// Entrypoint and Cmd are the image's, for engines without a daemon.
	Entrypoint []string
	Cmd        []string
	// Unpack writes the image's root filesystem into dir (for the runc engine).
	Unpack  func(dir string) error
	Timeout time.Duration // zero means no limit beyond the caller's context
}

// argv is the process the image runs: the entrypoint, then Args or else the default Cmd.
func (s Spec) argv() []string {
	rest := s.Cmd
	if len(s.Args) > 0 {
		rest = s.Args
	}
	return append(append([]string{}, s.Entrypoint...), rest...)
}

// Result is the outcome of one run.
type Result struct {
	Status   string // StatusPass, StatusFail or StatusSkipped
	Stdout   string
	Stderr   string
	ExitCode int
	Reason   string // why it failed or was skipped
	Duration time.Duration
	Engine   string // "docker", "runc", or "" when nothing ran
}

// The values of Result.Status.
const (
	StatusPass    = "pass"
	StatusFail    = "fail"
	StatusSkipped = "skipped"
)

// Expect is what a recipe expects of a run.
type Expect struct {
	Match    func(stdout string) bool // nil accepts any output
	Want     string                   // describes Match for messages, e.g. `stdout == "hello\n"`
	ExitCode int
}

// Engine runs one Spec and reports what the program did. err means the program could not be
// run at all (the engine failed, the image could not be loaded, or the container did not start).
type Engine interface {
	Name() string
	Run(ctx context.Context, s Spec) (stdout, stderr string, exit int, err error)
}

// maxShown is how much of a program's output a Reason quotes.
const maxShown = 2048

// Run runs s with e and compares the outcome with want. A platform the machine cannot run is
// "skipped"; a run that exceeds s.Timeout is "fail" with a "timed out after" reason.
func Run(ctx context.Context, e Engine, s Spec, want Expect) Result {
	start := time.Now()
	res := Result{Status: StatusSkipped}
	if e == nil {
		res.Reason = "no container engine to run " + s.Name + " (start dockerd or install runc)"
		return res
	}
	if ok, why := CanRun(s.Platform); !ok {
		res.Reason = why
		return res
	}
	res.Engine = e.Name()
	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if s.Timeout > 0 {
		runCtx, cancel = context.WithTimeout(ctx, s.Timeout)
	}
	defer cancel()
	stdout, stderr, exit, err := e.Run(runCtx, s)
	res.Duration = time.Since(start)
	res.Stdout, res.Stderr, res.ExitCode = stdout, stderr, exit
	res.Status = StatusFail
	switch {
	case ctx.Err() != nil:
		res.Reason = fmt.Sprintf("%s: interrupted after %s: %v", s.Name, res.Duration.Round(time.Millisecond), ctx.Err())
		return res
	case errors.Is(runCtx.Err(), context.DeadlineExceeded):
		res.Reason = fmt.Sprintf("%s: timed out after %s%s", s.Name, s.Timeout, quoteOutput(stdout, stderr))
		return res
	case err != nil:
		res.Reason = fmt.Sprintf("%s: could not run with %s: %v", s.Name, e.Name(), err)
		return res
	}
	var problems []string
	if want.Match != nil && !want.Match(stdout) {
		problems = append(problems, fmt.Sprintf("stdout differs: want %s, got %s", want.Want, quote(stdout)))
	}
	if exit != want.ExitCode {
		problems = append(problems, fmt.Sprintf("exit code differs: want %d, got %d", want.ExitCode, exit))
	}
	if len(problems) > 0 {
		res.Reason = s.Name + ": " + strings.Join(problems, "; ")
		if stderr != "" {
			res.Reason += "; stderr " + quote(stderr)
		}
		return res
	}
	res.Status = StatusPass
	return res
}

// quoteOutput is what a program printed, for a Reason that has nothing better to show.
func quoteOutput(stdout, stderr string) string {
	var b strings.Builder
	if stdout != "" {
		b.WriteString("; stdout " + quote(stdout))
	}
	if stderr != "" {
		b.WriteString("; stderr " + quote(stderr))
	}
	return b.String()
}

// quote quotes output for a message, cut to maxShown bytes.
func quote(s string) string {
	if len(s) <= maxShown {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q... (%d bytes in all)", s[:maxShown], len(s))
}

// Equal is an Expect for stdout exactly equal to out.
func Equal(out string, exit int) Expect {
	return Expect{Match: func(s string) bool { return s == out }, Want: fmt.Sprintf("%q", out), ExitCode: exit}
}

// Contains is an Expect for stdout containing out.
func Contains(out string, exit int) Expect {
	return Expect{Match: func(s string) bool { return strings.Contains(s, out) }, Want: fmt.Sprintf("output containing %q", out), ExitCode: exit}
}
