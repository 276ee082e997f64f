package toolchain

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Steps run as one shell command give each step the output, directory
// and environment it has when run alone (plus PWD, which bwrap sets for a
// step alone), and the same log.
func TestOneShellIsTheStepsAlone(t *testing.T) {
	a, b := t.TempDir(), filepath.Join(t.TempDir(), "it's a dir")
	if err := os.MkdirAll(b, 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "X=a b 'c'"}
	steps := []Command{
		{Args: []string{"/bin/sh", "-c", `printf 'no newline, %s' "$1"; echo " to stderr" >&2`, "sh", "it's \"quoted\""}, Dir: a},
		{Args: []string{"/bin/sh", "-c", "env | sort"}, Dir: b}, // the shell keeps the variables, not their order
		{Args: []string{"pwd"}, Dir: b},
		{Args: []string{"/bin/sh", "-c", "printf '\\036not a mark\\036'"}, Dir: a},
	}
	var want bytes.Buffer
	for _, s := range steps {
		out, err := Exec(t.Context(), s, append(env, "PWD="+s.Dir))
		if err != nil {
			t.Fatalf("%s alone: %v: %s", s, err, out)
		}
		want.WriteString("$ " + s.String() + "\n")
		want.Write(out)
	}
	var got bytes.Buffer
	if err := runOneShell(t.Context(), Exec, steps, env, &got); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("one shell's log:\n%s\nthe steps alone:\n%s", got.String(), want.String())
	}
}

// The first failing step stops the script; its error and log are the
// step's own, and the steps after it do not run.
func TestOneShellStopsAtTheFailingStep(t *testing.T) {
	dir := t.TempDir()
	after := filepath.Join(dir, "after")
	steps := []Command{
		{Args: []string{"true"}, Dir: dir},
		{Args: []string{"/bin/sh", "-c", "echo broken header; exit 3"}, Dir: dir},
		{Args: []string{"touch", after}, Dir: dir},
	}
	var log bytes.Buffer
	err := runOneShell(t.Context(), Exec, steps, []string{"PATH=/usr/bin:/bin"}, &log)
	if err == nil || !strings.HasPrefix(err.Error(), "sh: exit status 3: broken header") {
		t.Errorf("error %v, want the failing step's", err)
	}
	if _, serr := os.Stat(after); serr == nil {
		t.Error("a step after the failing one ran")
	}
	if want := "$ true\n$ /bin/sh -c echo broken header; exit 3\nbroken header\n"; log.String() != want {
		t.Errorf("log %q, want %q", log.String(), want)
	}
	var missing bytes.Buffer
	err = runOneShell(t.Context(), Exec, []Command{{Args: []string{"true"}}, {Args: []string{"/no/such/compiler", "-c"}}}, []string{"PATH=/usr/bin:/bin"}, &missing)
	if err == nil || !strings.Contains(err.Error(), "compiler: exit status 127") || !strings.Contains(err.Error(), "not found") {
		t.Errorf("a missing program: %v", err)
	}
}

// SplitShell finds only its own marks.
func TestSplitShell(t *testing.T) {
	_, mark := OneShell([]Command{{Args: []string{"true"}}})
	out := []byte("one\x1e" + mark + "0\x1e" + "two" + mark + "1\x1e" + "shell's words")
	steps, rest := SplitShell(out, mark)
	if len(steps) != 2 || string(steps[0].out) != "one\x1e" || steps[0].code != 0 || string(steps[1].out) != "two" || steps[1].code != 1 || string(rest) != "shell's words" {
		t.Errorf("SplitShell = %+v, %q", steps, rest)
	}
	if _, other := OneShell([]Command{{Args: []string{"false"}}}); other == mark {
		t.Error("two scripts share a mark")
	}
}

// In the sandbox, the steps of one shell start one bubblewrap, and a step
// that writes outside its places fails with an *EscapeError that names it
// and the path; the host is unchanged.
func TestOneShellInTheSandbox(t *testing.T) {
	if testing.Short() {
		t.Skip("starts bubblewrap")
	}
	bwrap, err := FindBwrap([]string{"/usr/bin", "/bin"})
	if err != nil {
		t.Skip(err)
	}
	w := t.TempDir()
	s := Sandbox{Bwrap: bwrap, Root: "/", Writable: []string{w}}
	starts := 0
	run := s.Wrap(func(ctx context.Context, c Command, env []string) ([]byte, error) {
		starts++
		return Exec(ctx, c, env)
	})
	name := filepath.Base(w)
	steps := []Command{
		{Args: []string{"/bin/sh", "-c", "echo ok > out"}, Dir: w},
		{Args: []string{"/bin/sh", "-c", "echo x > /etc/" + name}, Dir: w},
		{Args: []string{"touch", "never"}, Dir: w},
	}
	var log bytes.Buffer
	err = runOneShell(t.Context(), run, steps, []string{"PATH=/usr/bin:/bin"}, &log)
	var e *EscapeError
	if !errors.As(err, &e) || e.Path != "/etc/"+name || e.Step != steps[1].String() {
		t.Errorf("error %v (%+v), want an *EscapeError naming /etc/%s and the second step; log %s", err, e, name, log.String())
	}
	if starts != 1 {
		t.Errorf("%d sandboxes for one shell", starts)
	}
	if data, err := os.ReadFile(filepath.Join(w, "out")); err != nil || string(data) != "ok\n" {
		t.Errorf("the first step's output: %q, %v", data, err)
	}
	for _, p := range []string{"/etc/" + name, filepath.Join(w, "never")} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s exists", p)
		}
	}
}
