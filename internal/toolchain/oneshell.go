package toolchain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// OneShell turns steps into one command: a POSIX shell script that runs
// them in order, each in its directory and as its own process with
// exactly the script's environment, and stops at the first that fails
// with its exit status. In the build root, a recipe of files pays
// bubblewrap's start once per cell instead of once per step (each start
// costs about as much as a small compile on a loaded machine). After each
// step the script prints a mark that no tool prints (it holds a digest of
// the script) and the step's exit status, so SplitShell gives every step
// its own output back.
func OneShell(steps []Command) (script Command, mark string) {
	var b strings.Builder
	for _, s := range steps {
		dir := s.Dir
		if dir == "" {
			dir = "/"
		}
		// cd sets OLDPWD, which the step must not get; PWD is the
		// step's directory, as when it runs alone.
		fmt.Fprintf(&b, "(cd -- %s && unset OLDPWD && exec", shellQuote(dir))
		for _, a := range s.Args {
			b.WriteString(" " + shellQuote(a))
		}
		b.WriteString(")\nfs_step $?\n")
	}
	sum := sha256.Sum256([]byte(b.String()))
	mark = "\x1efromscratch-step-" + hex.EncodeToString(sum[:8]) + " "
	head := fmt.Sprintf("fs_step() { printf '%%s%%d\\036' %s \"$1\"; [ \"$1\" -eq 0 ] || exit \"$1\"; }\n", shellQuote(mark))
	return Command{Args: []string{"/bin/sh", "-c", head + b.String()}, Phase: steps[0].Phase}, mark
}

// shellStep is one step's share of a OneShell script's output.
type shellStep struct {
	out  []byte
	code int // exit status
}

// SplitShell cuts a OneShell script's output at its marks: the output and
// exit status of each step that finished, in order, and what came after
// the last mark (the shell's or the sandbox's own words, if any).
func SplitShell(out []byte, mark string) (steps []shellStep, rest []byte) {
	for {
		i := bytes.Index(out, []byte(mark))
		if i < 0 {
			return steps, out
		}
		after := out[i+len(mark):]
		end := bytes.IndexByte(after, 0x1e)
		if end < 0 {
			return steps, out
		}
		code, err := strconv.Atoi(string(after[:end]))
		if err != nil {
			return steps, out
		}
		steps = append(steps, shellStep{out: out[:i], code: code})
		out = after[end+1:]
	}
}

// runOneShell runs steps as one OneShell command with run and writes the
// log each step would have written alone ("$ step" and its output). A
// failing step's error is the one it would have had alone, naming it.
func runOneShell(ctx context.Context, run Runner, steps []Command, env []string, log *bytes.Buffer) error {
	script, mark := OneShell(steps)
	out, err := run(ctx, script, env)
	done, rest := SplitShell(out, mark)
	for i, d := range done {
		fmt.Fprintf(log, "$ %s\n", steps[i])
		log.Write(d.out)
		if d.code != 0 {
			if d.code == 127 { // the shell's "not found"
				err = fmt.Errorf("%w (127: not found? the program must be in the build root or a place, on the step's PATH)", err)
			}
			return planStepError(steps[i], err, d.out)
		}
	}
	if err == nil && len(done) == len(steps) {
		return nil
	}
	// The sandbox could not start, or the shell stopped between marks.
	step := steps[min(len(done), len(steps)-1)]
	fmt.Fprintf(log, "$ %s\n", step)
	log.Write(rest)
	if err == nil {
		err = fmt.Errorf("the build's shell stopped after %d of %d steps", len(done), len(steps))
	}
	return planStepError(step, err, rest)
}

// planStepError is the error of a compiler step, failed with err and output out; an
// escape the sandbox saw names the step.
func planStepError(step Command, err error, out []byte) error {
	var esc *EscapeError
	if errors.As(err, &esc) {
		esc.Step = step.String()
	}
	return fmt.Errorf("%s: %w: %s", filepath.Base(step.Args[0]), err, strings.TrimSpace(string(out)))
}
