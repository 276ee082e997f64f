package smoke

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/testutil"
)

// printer is an engine that prints fixed output in-process, to test Run's verdicts on output
// no real program here produces.
type printer struct {
	stdout, stderr string
	exit           int
}

func (printer) Name() string { return "printer" }

func (p printer) Run(context.Context, Spec) (string, string, int, error) {
	return p.stdout, p.stderr, p.exit, nil
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
	if res.Stdout != long {
		t.Error("Result.Stdout is cut too; only the reason should be")
	}
}

func TestRunWithoutEngine(t *testing.T) {
	res := Run(context.Background(), nil, Spec{Name: "hi", Platform: "linux/" + runtime.GOARCH}, Equal("", 0))
	if res.Status != StatusSkipped || res.Reason == "" {
		t.Errorf("Run without engine = %+v, want skipped with a reason", res)
	}
}

func TestDetect(t *testing.T) {
	dockerErr := dockerInfo(context.Background())
	e, why := Detect(context.Background())
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
	if err := dockerInfo(context.Background()); err != nil {
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
