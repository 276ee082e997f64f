package smoke

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fromscratch/fromscratch/internal/testutil"
)

// printer is an engine that prints fixed output in-process, to test Run's verdicts on output
// no real program here produces.
type printer struct {
	stdout, stderr string
	exit           int
}

func (printer) Name() string { return "printer" }

func (printer) Cleanup(context.Context) error { return nil }

func (p printer) Run(_ context.Context, _ Spec, stdout, stderr io.Writer) (int, error) {
	io.WriteString(stdout, p.stdout)
	io.WriteString(stderr, p.stderr)
	return p.exit, nil
}

func TestRunTruncatesLongOutput(t *testing.T) {
	long := strings.Repeat("0123456789abcdef", 1000)
	s := Spec{Name: "chatty", Platform: "linux/" + runtime.GOARCH}
	res := Run(context.Background(), printer{stdout: long, stderr: "warning\n"}, s, Equal("short\n", 0))
	if res.Status != StatusFail {
		t.Fatalf("got %s, want fail", res.Status)
	}
	if len(res.Reason) > 3*maxShown {
		t.Errorf("reason is %d bytes, want it cut near %d", len(res.Reason), maxShown)
	}
	for _, want := range []string{`want "short\n"`, "(16000 bytes in all)", `stderr "warning\n"`} {
		if !strings.Contains(res.Reason, want) {
			t.Errorf("reason %.200q... does not contain %q", res.Reason, want)
		}
	}
	if want := long[:excerptBytes] + "\n[11904 bytes left out]"; res.Stdout != want {
		t.Errorf("Result.Stdout is %d bytes ending %q, want the first %d bytes and a note", len(res.Stdout), res.Stdout[max(0, len(res.Stdout)-40):], excerptBytes)
	}
	if res.Stderr != "warning\n" {
		t.Errorf("Result.Stderr = %q, want it whole", res.Stderr)
	}
}

func TestExcerpt(t *testing.T) {
	for _, tc := range []struct {
		name  string
		text  string
		limit int
		want  string
	}{
		{"empty", "", 4, ""},
		{"short", "abc", 4, "abc"},
		{"exactly the limit", "abcd", 4, "abcd"},
		{"one byte over", "abcde", 4, "abcd\n[1 bytes left out]"},
		{"cut before a 2-byte character", "abcé", 4, "abc\n[2 bytes left out]"},
		{"cut after a 2-byte character", "abéd", 4, "abé\n[1 bytes left out]"},
		{"cut inside a 4-byte character", "a😀bcdef", 4, "a\n[9 bytes left out]"},
		{"4-byte character first", "😀😀", 5, "😀\n[4 bytes left out]"},
		{"not UTF-8", "\x80\x80\x80\x80\x80\x80\x80\x80", 5, "\x80\x80\x80\x80\x80\n[3 bytes left out]"},
		{"newline kept", "ab\ncd\nef", 6, "ab\ncd\n\n[2 bytes left out]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Give excerpt what a stream keeps: the first limit+UTFMax bytes.
			head := []byte(tc.text[:min(len(tc.text), tc.limit+utf8.UTFMax)])
			if got := excerpt(head, int64(len(tc.text)), tc.limit); got != tc.want {
				t.Errorf("excerpt(%q, %d) = %q, want %q", tc.text, tc.limit, got, tc.want)
			}
		})
	}
}

func TestStream(t *testing.T) {
	want := "hello, world\n"
	// write feeds text to st in pieces of every size up to 5 bytes, as pipes deliver it.
	write := func(st *stream, text string) {
		for i, n := 0, 1; i < len(text); i, n = i+n, n%5+1 {
			st.Write([]byte(text[i:min(len(text), i+n)]))
		}
	}
	for _, tc := range []struct {
		name   string
		expect Expect
		out    string
		ok     bool
		why    string
	}{
		{"exact", Equal(want, 0), want, true, ""},
		{"exact, shorter", Equal(want, 0), want[:5], false, ""},
		{"exact, longer", Equal(want, 0), want + "!", false, ""},
		{"exact, one byte differs", Equal(want, 0), "hello, World\n", false, ""},
		{"exact, empty", Equal("", 0), "", true, ""},
		{"match", Contains("world", 0), want, true, ""},
		{"match fails", Contains("moon", 0), want, false, ""},
		{"match over the limit", Contains("world", 0), want + strings.Repeat("x", 100), false, "(113 bytes, more than the 64 that a pattern is matched against)"},
		{"no expectation", Expect{}, want, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newStream(tc.expect)
			st.limit = 64
			write(st, tc.out)
			ok, why := st.matches()
			if ok != tc.ok || !strings.Contains(why, tc.why) {
				t.Errorf("matches() = %v, %q; want %v, %q", ok, why, tc.ok, tc.why)
			}
			if st.n != int64(len(tc.out)) || st.excerpt() != tc.out {
				t.Errorf("stream counted %d bytes, excerpt %q; want %d, %q", st.n, st.excerpt(), len(tc.out), tc.out)
			}
			if tc.expect.Stdout != nil && st.held.Len() != 0 {
				t.Errorf("an exact expectation held %d bytes; it should compare on the fly", st.held.Len())
			}
		})
	}
}

func TestKilledBy(t *testing.T) {
	for exit, want := range map[int]string{0: "", 1: "", 128: "", 134: " (killed by SIGABRT)", 137: " (killed by SIGKILL)", 139: " (killed by SIGSEGV)", 255: ""} {
		if got := killedBy(exit); got != want {
			t.Errorf("killedBy(%d) = %q, want %q", exit, got, want)
		}
	}
}

func TestRunSavesOutput(t *testing.T) {
	dir := t.TempDir()
	s := Spec{Name: "saver", Platform: "linux/" + runtime.GOARCH,
		StdoutFile: filepath.Join(dir, "cell", "stdout.txt"), StderrFile: filepath.Join(dir, "cell", "stderr.txt")}
	long := strings.Repeat("é", 10000)
	res := Run(context.Background(), printer{stdout: long, stderr: "oops\n", exit: 3}, s, Equal(long, 0))
	if res.Status != StatusFail || !strings.Contains(res.Reason, "exit code differs: want 0, got 3") || strings.Contains(res.Reason, "stdout differs") {
		t.Errorf("got %s (%s), want fail on the exit code alone", res.Status, res.Reason)
	}
	if !utf8.ValidString(res.Stdout) || !strings.HasSuffix(res.Stdout, "\n[15904 bytes left out]") {
		t.Errorf("Result.Stdout ends %q, want a valid UTF-8 excerpt and a note", res.Stdout[max(0, len(res.Stdout)-40):])
	}
	for path, want := range map[string]string{s.StdoutFile: long, s.StderrFile: "oops\n"} {
		if got, err := os.ReadFile(path); err != nil || string(got) != want {
			t.Errorf("%s: %d bytes, %v; want the whole %d bytes", path, len(got), err, len(want))
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(s.StdoutFile)); len(entries) != 2 {
		t.Errorf("%s holds %d files, want only the two outputs (no temporary files)", filepath.Dir(s.StdoutFile), len(entries))
	}

	t.Run("unwritable", func(t *testing.T) {
		s := s
		s.StdoutFile = filepath.Join(dir, "cell", "stderr.txt", "stdout.txt") // under a file
		res := Run(context.Background(), printer{stdout: "hi\n"}, s, Equal("hi\n", 0))
		wantFail(t, res, "saving its output")
	})
}

func TestRunWithoutEngine(t *testing.T) {
	res := Run(context.Background(), nil, Spec{Name: "hi", Platform: "linux/" + runtime.GOARCH}, Equal("", 0))
	if res.Status != StatusSkipped || res.Reason == "" {
		t.Errorf("Run without engine = %+v, want skipped with a reason", res)
	}
}

func TestDetect(t *testing.T) {
	dockerErr := dockerInfo(context.Background(), os.Environ())
	e, why := Detect(context.Background(), os.Environ())
	switch {
	case dockerErr == nil && (e == nil || e.Name() != "docker"):
		t.Errorf("Detect = %v, %q; want docker while `docker info` answers", e, why)
	case e == nil && why == "":
		t.Error("Detect found no engine and gave no reason")
	}
}

// TestStartDockerRunning checks that StartDocker leaves a running engine alone. Starting one is
// left to `go tool mage setup`: a test must not leave a daemon behind.
func TestStartDockerRunning(t *testing.T) {
	if err := dockerInfo(context.Background(), os.Environ()); err != nil {
		testutil.Missing(t, "%v", err)
	}
	log := filepath.Join(t.TempDir(), "dockerd.log")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := StartDocker(ctx, log); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(log); !os.IsNotExist(err) {
		t.Errorf("StartDocker started a second dockerd (its log %s exists)", log)
	}
}
