package cli

import (
	"bytes"
	"os"
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
		c, _, _ := testCLI(t, t.TempDir(), "FROMSCRATCH_OUT="+out)
		if err := c.Clean(); err == nil || !strings.Contains(err.Error(), "marker") {
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
		if err := claimOut(out); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(out, markerFile)); err != nil {
			t.Fatalf("claimOut of a new dir wrote no marker: %v", err)
		}
		for _, f := range []string{"bin/x/y", "docker/a.tar", "matrix.json"} {
			os.MkdirAll(filepath.Dir(filepath.Join(out, f)), 0o755)
			os.WriteFile(filepath.Join(out, f), nil, 0o644)
		}
		os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644)
		c, log, _ := testCLI(t, t.TempDir(), "FROMSCRATCH_OUT="+out)
		if err := c.Clean(); err != nil {
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
			t.Errorf("clean did not say what it kept: %s", log)
		}
		os.Remove(filepath.Join(out, "notes.txt"))
		if err := c.Clean(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("an out/ holding only fromscratch's files was not removed: %v", err)
		}
	})
	t.Run("writing into a foreign directory is refused", func(t *testing.T) {
		out := t.TempDir()
		os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644)
		if _, err := lockOut(out, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "FROMSCRATCH_OUT") {
			t.Fatalf("lockOut of a foreign dir = %v, want a refusal", err)
		}
	})
}

// A second run waits for the first, saying so, and what a killed run left
// (temporary files and folders) is swept by the next lock holder.
func TestLockOutWaitsAndSweeps(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	unlock, err := lockOut(out, &bytes.Buffer{})
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
		u, err := lockOut(out, w)
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
	for _, p := range []string{stale, staleFile} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s survived the sweep", p)
		}
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("the sweep removed a real output: %v", err)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestStatusLineFitsTheTerminal(t *testing.T) {
	running := map[string]time.Time{
		"zz linux/riscv64 zig-dynamic": {}, "aa linux/amd64 gcc-static": {}, "mm linux/arm/v7 musl-gcc-static": {},
	}
	for _, width := range []int{40, 80, 200} {
		line := statusLine("build", 12, 97, 1, 65*time.Second, running, width)
		if n := len([]rune(line)); n > width-1 {
			t.Errorf("width %d: line of %d columns: %q", width, n, line)
		}
		if !strings.Contains(line, "1m5s") || !strings.HasPrefix(line, "build [12/97]") {
			t.Errorf("width %d: no counts or timer: %q", width, line)
		}
	}
	wide := statusLine("build", 0, 3, 0, 0, running, 200)
	if a, z := strings.Index(wide, "aa "), strings.Index(wide, "zz "); a < 0 || z < a {
		t.Errorf("running cells not in order: %q", wide)
	}
}

func TestReasonLine(t *testing.T) {
	err := "compile: exit status 1: main.c: In function 'main':\nmain.c:3:5: error: 'x' undeclared (first use in this function)\n    3 | x = 1;\n (log: out/bin/hello/linux-amd64/gcc-static/build.log)"
	got := reasonLine(err)
	if !strings.Contains(got, "error: 'x' undeclared") || !strings.Contains(got, "build.log") || strings.Contains(got, "In function") {
		t.Errorf("reasonLine = %q, want the error line and the log's path", got)
	}
	if got := reasonLine("smoke run: exit 139"); got != "smoke run: exit 139" {
		t.Errorf("reasonLine of one line = %q", got)
	}
}

func TestRunVerbs(t *testing.T) {
	c, out, _ := testCLI(t, repoRoot(t))
	if err := c.Run(t.Context(), nil); err != nil || !strings.Contains(out.String(), "build recipe NAME") || !strings.Contains(out.String(), "FROMSCRATCH_SMOKE") {
		t.Errorf("usage: %v\n%s", err, out)
	}
	if err := c.Run(t.Context(), []string{"build", "recipe"}); err == nil || !strings.Contains(err.Error(), "NAME") {
		t.Errorf("build recipe without a name: %v", err)
	}
	if err := c.Run(t.Context(), []string{"frobnicate"}); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("unknown verb: %v", err)
	}
	if err := c.Run(t.Context(), []string{"matrix:compare", "/nonexistent/a.json", "/nonexistent/b.json"}); err == nil || !strings.Contains(err.Error(), "a.json") {
		t.Errorf("mage spelling with missing files: %v", err)
	}
}

// image:wrap maps a file name to a valid image name, refuses what is not a
// program with what the file is, and never leaves a half-written folder.
func TestWrapNamesAndRefusals(t *testing.T) {
	root := repoRoot(t)
	testdata := filepath.Join(root, "internal", "elfdeps", "testdata")
	dir := t.TempDir()
	copyAs := func(src, name string) string {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(testdata, src))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c, log, cfg := testCLI(t, root)
	for name, want := range map[string]string{"Hello World": "hello-world", "g++": "g"} {
		if err := c.Wrap(t.Context(), copyAs("hello-arm64-static", name)); err != nil {
			t.Fatalf("wrap %q: %v", name, err)
		}
		for _, f := range []string{"oci/index.json", "image.tar"} {
			if _, err := os.Stat(filepath.Join(cfg.OutDir, "wrap", want, f)); err != nil {
				t.Errorf("wrap %q: %v", name, err)
			}
		}
		if !strings.Contains(log.String(), want+":wrap") {
			t.Errorf("wrap %q does not print the tag %s:wrap:\n%s", name, want, log)
		}
	}
	for file, what := range map[string]string{"foo.o": "relocatable", "libbar.so": "shared library"} {
		err := c.Wrap(t.Context(), copyAs(file, file))
		if err == nil || !strings.Contains(err.Error(), what) {
			t.Errorf("wrap %s = %v, want it called a %s", file, err, what)
		}
	}
	if err := c.Wrap(t.Context(), "/etc/passwd"); err == nil || !strings.Contains(err.Error(), "not an ELF file") {
		t.Errorf("wrap /etc/passwd = %v", err)
	}
	ents, _ := os.ReadDir(filepath.Join(cfg.OutDir, "wrap"))
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "g,hello-world" {
		t.Errorf("out/wrap holds %v, want only the two wrapped programs", names)
	}
}
