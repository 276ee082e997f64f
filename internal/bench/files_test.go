package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/testutil"
)

// bench's Dockerfile way compiles files by hand: it measures only the
// recipes of build = "files", never a project's build system.
func TestBenchMeasuresFilesRecipes(t *testing.T) {
	got, err := filesRecipes(testutil.RepoRoot(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "cppcontainers,hello,mathprint,multifile,nsslookup,threads" {
		t.Errorf("filesRecipes = %v, want the six small recipes", got)
	}
	if got, err := filesRecipes(testutil.RepoRoot(t), []string{"hello", "jq"}); err != nil || strings.Join(got, ",") != "hello" {
		t.Errorf("filesRecipes(hello, jq) = %v, %v; want hello", got, err)
	}
	if _, err := filesRecipes(testutil.RepoRoot(t), []string{"jq"}); err == nil {
		t.Error("filesRecipes(jq) found something to measure")
	}
}

// With the unsandboxed row, bench prints the sandbox's ratio and its cost
// per sandbox started.
func TestPrintBenchSandboxRatio(t *testing.T) {
	var b bytes.Buffer
	printBench(&b, []Row{
		{Name: "fromscratch cold", Wall: 44 * time.Second, Compilers: 40 * time.Second, Steps: 40},
		{Name: unsandboxed, Wall: 40 * time.Second, Compilers: 36 * time.Second, Steps: 40},
	}, nil)
	if want := "= 1.100; 40 sandboxes, 100ms more each"; !strings.Contains(b.String(), want) {
		t.Errorf("no %q in\n%s", want, b.String())
	}
}
