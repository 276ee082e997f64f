package bench

import (
	"strings"
	"testing"

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
