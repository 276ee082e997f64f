package outdir

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// clean never deletes what fromscratch did not write.
func TestCleanKeepsForeignFiles(t *testing.T) {
	t.Run("no marker: refused, nothing deleted", func(t *testing.T) {
		out := t.TempDir()
		os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644)
		os.MkdirAll(filepath.Join(out, "bin"), 0o755)
		if err := Path(out).Clean(io.Discard); err == nil || !strings.Contains(err.Error(), "marker") {
			t.Fatalf("Clean = %v, want a refusal naming the marker", err)
		}
		for _, f := range []string{"notes.txt", "bin"} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Errorf("%s was deleted", f)
			}
		}
	})
	t.Run("marker: only fromscratch's entries go", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		if err := Path(out).Claim(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(out, MarkerFile)); err != nil {
			t.Fatalf("Claim of a new dir wrote no marker: %v", err)
		}
		for _, f := range []string{"bin/x/y", "docker/a.tar", "matrix.json"} {
			os.MkdirAll(filepath.Dir(filepath.Join(out, f)), 0o755)
			os.WriteFile(filepath.Join(out, f), nil, 0o644)
		}
		os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644)
		var log bytes.Buffer
		if err := Path(out).Clean(&log); err != nil {
			t.Fatal(err)
		}
		ents, _ := os.ReadDir(out)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		if strings.Join(names, ",") != ".fromscratch,.lock,notes.txt" {
			t.Errorf("after clean out/ holds %v, want the marker, the lock and notes.txt", names)
		}
		if !strings.Contains(log.String(), "notes.txt") {
			t.Errorf("clean did not say what it kept: %s", log.String())
		}
		os.Remove(filepath.Join(out, "notes.txt"))
		if err := Path(out).Clean(&log); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("an out/ holding only fromscratch's files was not removed: %v", err)
		}
	})
	t.Run("writing into a foreign directory is refused", func(t *testing.T) {
		out := t.TempDir()
		os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644)
		if _, err := Path(out).Lock(&bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "FROMSCRATCH_OUT") {
			t.Fatalf("Lock of a foreign dir = %v, want a refusal", err)
		}
	})
}

// A second run waits for the first, saying so.
func TestLockWaitsAndSweeps(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	unlock, err := Path(out).Lock(&bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(out, "bin", "hello", "linux-amd64", ".zig-static.tmp-123")
	os.MkdirAll(filepath.Join(stale, "obj"), 0o755)
	staleFile := filepath.Join(out, "docker", ".a.tar.tmp-9")
	os.MkdirAll(filepath.Dir(staleFile), 0o755)
	os.WriteFile(staleFile, nil, 0o644)
	keep := filepath.Join(out, "bin", "hello", "linux-amd64", "gcc-static", "hello")
	os.MkdirAll(filepath.Dir(keep), 0o755)
	os.WriteFile(keep, nil, 0o755)

	var mu sync.Mutex
	var log bytes.Buffer
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return log.Write(p) })
	got := make(chan func())
	go func() {
		u, err := Path(out).Lock(w)
		if err != nil {
			t.Error(err)
		}
		got <- u
	}()
	for i := 0; ; i++ {
		mu.Lock()
		waiting := strings.Contains(log.String(), "waiting for")
		mu.Unlock()
		if waiting {
			break
		}
		select {
		case <-got:
			t.Fatal("the second lock was granted while the first was held")
		case <-time.After(10 * time.Millisecond):
		}
		if i > 3000 {
			t.Fatal("the second run did not say it was waiting")
		}
	}
	if !strings.Contains(log.String(), "pid ") {
		t.Errorf("the waiting message does not name the holder: %s", log.String())
	}
	unlock()
	second := <-got
	defer second()
	// The first holder finished (its lock file is empty again): the
	// second does not walk out/, so what looks like a temporary stays.
	for _, p := range []string{stale, staleFile, keep} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was swept after a run that finished: %v", p, err)
		}
	}
}

// What a killed run left (temporary files and folders) is swept by the
// next lock holder, and nothing else: the run is a real process, killed
// with SIGKILL while it holds the lock.
func TestLockSweepsAfterAKilledRun(t *testing.T) {
	if os.Getenv("FROMSCRATCH_TEST_HOLD_LOCK") != "" {
		holdLockAndWait()
		return
	}
	out := filepath.Join(t.TempDir(), "out")
	keep := filepath.Join(out, "bin", "hello", "linux-amd64", "gcc-static", "hello")
	os.MkdirAll(filepath.Dir(keep), 0o755)
	os.WriteFile(keep, nil, 0o755)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockSweepsAfterAKilledRun$")
	cmd.Env = append(os.Environ(), "FROMSCRATCH_TEST_HOLD_LOCK="+out)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "holding" {
		cmd.Process.Kill()
		t.Fatalf("the holder did not start: %q %v", line, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	unlock, err := Path(out).Lock(&bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	for _, p := range killedRunLeftovers(out) {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s survived the sweep", p)
		}
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("the sweep removed a real output: %v", err)
	}
}

func killedRunLeftovers(out string) []string {
	return []string{
		filepath.Join(out, "bin", "hello", "linux-amd64", ".zig-static.tmp-123"),
		filepath.Join(out, "docker", ".a.tar.tmp-9"),
	}
}

// holdLockAndWait is the killed run of TestLockSweepsAfterAKilledRun: it
// takes the lock, writes temporaries as a build does, says so, and waits
// to be killed.
func holdLockAndWait() {
	out := os.Getenv("FROMSCRATCH_TEST_HOLD_LOCK")
	if _, err := Path(out).Lock(io.Discard); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	dir, file := killedRunLeftovers(out)[0], killedRunLeftovers(out)[1]
	os.MkdirAll(filepath.Join(dir, "obj"), 0o755)
	os.MkdirAll(filepath.Dir(file), 0o755)
	os.WriteFile(file, nil, 0o644)
	fmt.Println("holding")
	time.Sleep(time.Minute)
	os.Exit(1)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
