// Package smoke runs a built image for real, in docker or runc, and compares what the program
// printed and how it exited with what its recipe expects. A platform the machine cannot run
// (no binfmt_misc handler) is skipped with a reason, never passed.
//
// Both engines run the program under a small init (tini, Docker's `--init`) as PID 1, with core
// dumps off. As PID 1 of its namespace a program never dies of a signal it sends itself: qemu-user
// ends a crashed foreign program by re-raising the signal against itself, so without an init a
// crash under qemu hangs until the time limit instead of ending with 128+signal.
package smoke

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/recipe"
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
	Unpack func(dir string) error
	// Stdin, when not nil, is fed to the program's stdin, which then ends (EOF); a program
	// that exits without reading it is not held up. nil leaves stdin empty, at end of file at
	// once. It is held in memory: smoke inputs are small.
	Stdin   []byte
	Timeout time.Duration // zero means no limit beyond the caller's context
	// StdoutFile and StderrFile, when set, receive the program's whole stdout and stderr,
	// streamed while it runs and renamed into place when it ends (also when it failed or timed
	// out; a skipped run leaves them as they were). Result keeps only an excerpt of each.
	StdoutFile string
	StderrFile string
}

// argv is the process the image runs: the entrypoint, then Args or else the default Cmd.
func (s Spec) argv() []string {
	rest := s.Cmd
	if len(s.Args) > 0 {
		rest = s.Args
	}
	return append(append([]string{}, s.Entrypoint...), rest...)
}

// Status is the verdict of a run.
type Status = recipe.SmokeStatus

// The values of Result.Status.
const (
	StatusPass    = recipe.SmokePass
	StatusFail    = recipe.SmokeFail
	StatusSkipped = recipe.SmokeSkipped
)

// Result is the outcome of one run.
type Result struct {
	Status Status
	// Stdout and Stderr are excerpts: the first 4 KiB of each stream (cut on a UTF-8 boundary)
	// and a last line saying how many bytes were left out. Spec.StdoutFile and StderrFile get
	// the whole streams.
	Stdout   string
	Stderr   string
	ExitCode int
	Reason   string // why it failed or was skipped
	Duration time.Duration
	Engine   string // "docker", "runc", or "" when nothing ran
}

// Expect is what a recipe expects of a run.
type Expect struct {
	// Stdout, when not nil, is the exact stdout expected. It is compared while the program
	// runs, so output of any size is checked without being held in memory; Match is then
	// not consulted.
	Stdout *string
	// Match decides on the whole stdout, which is held in memory for it up to 64 MiB; a
	// program that prints more fails. nil (with Stdout nil) accepts any output.
	Match    func(stdout string) bool
	Want     string // describes the expectation for messages, e.g. `stdout == "hello\n"`
	ExitCode int
}

// Engine runs one Spec, streaming the program's output to stdout and stderr, and reports how
// it exited. err means the program could not be run at all (the engine failed, the image could
// not be loaded, or the container did not start).
type Engine interface {
	Name() string
	Run(ctx context.Context, s Spec, stdout, stderr io.Writer) (exit int, err error)
	// Cleanup removes what the runs put into the engine (docker's loaded
	// images); the engine stays usable.
	Cleanup(ctx context.Context) error
}

// Run runs s with e and compares the outcome with want. A platform the machine cannot run is
// skipped; a run that exceeds s.Timeout fails with a "timed out after" reason.
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

	stdout, stderr := newStream(want), newStream(Expect{})
	var exit int
	var runErr error
	saveErr := streamTo(s.StdoutFile, stdout, func() error {
		return streamTo(s.StderrFile, stderr, func() error {
			exit, runErr = e.Run(runCtx, s, stdout, stderr)
			return nil
		})
	})
	res.Duration = time.Since(start)
	res.Stdout, res.Stderr, res.ExitCode = stdout.excerpt(), stderr.excerpt(), exit
	res.Status = StatusFail
	switch {
	case ctx.Err() != nil:
		res.Reason = fmt.Sprintf("%s: interrupted after %s: %v", s.Name, res.Duration.Round(time.Millisecond), ctx.Err())
		return res
	case errors.Is(runCtx.Err(), context.DeadlineExceeded):
		res.Reason = fmt.Sprintf("%s: timed out after %s%s", s.Name, s.Timeout, quoteOutput(stdout, stderr))
		return res
	case runErr != nil:
		res.Reason = fmt.Sprintf("%s: could not run with %s: %v", s.Name, e.Name(), runErr)
		return res
	case saveErr != nil:
		res.Reason = fmt.Sprintf("%s: saving its output: %v", s.Name, saveErr)
		return res
	}
	var problems []string
	if ok, why := stdout.matches(); !ok {
		problems = append(problems, fmt.Sprintf("stdout differs: want %s, got %s%s", want.Want, stdout.quote(), why))
	}
	if exit != want.ExitCode {
		problems = append(problems, fmt.Sprintf("exit code differs: want %d, got %d%s", want.ExitCode, exit, killedBy(exit)))
	}
	if len(problems) > 0 {
		res.Reason = s.Name + ": " + strings.Join(problems, "; ")
		if stderr.n > 0 {
			res.Reason += "; stderr " + stderr.quote()
		}
		return res
	}
	res.Status = StatusPass
	return res
}

// streamTo runs run with st also copying to a new file at path (when path is set), which
// replaces path atomically once run returns. A failed write to the file is the error; the
// run itself goes on regardless.
func streamTo(path string, st *stream, run func() error) error {
	if path == "" {
		return run()
	}
	return atomicfile.WriteFrom(path, 0o644, func(w io.Writer) error {
		st.file = w
		defer func() { st.file = nil }()
		if err := run(); err != nil {
			return err
		}
		return st.fileErr
	})
}

// quoteOutput is what a program printed, for a Reason that has nothing better to show.
func quoteOutput(stdout, stderr *stream) string {
	var b strings.Builder
	if stdout.n > 0 {
		b.WriteString("; stdout " + stdout.quote())
	}
	if stderr.n > 0 {
		b.WriteString("; stderr " + stderr.quote())
	}
	return b.String()
}

// Equal is an Expect for stdout exactly equal to out.
func Equal(out string, exit int) Expect {
	return Expect{Stdout: &out, Want: quote(out, int64(len(out))), ExitCode: exit}
}

// Contains is an Expect for stdout containing out.
func Contains(out string, exit int) Expect {
	return Expect{Match: func(s string) bool { return strings.Contains(s, out) }, Want: fmt.Sprintf("output containing %q", out), ExitCode: exit}
}
