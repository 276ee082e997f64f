package cli

import (
	"strings"
	"testing"
)

// Every mage target of a namespace has its verb, in both spellings:
// bench:files and bench files reach the files benchmark (here stopped by
// a stray argument before it runs).
func TestVerbSpellings(t *testing.T) {
	c := &CLI{}
	for _, args := range [][]string{{"bench:files", "x"}, {"bench", "files", "x"}, {"bench:real", "x"}, {"source:pin"}} {
		err := c.Run(t.Context(), args)
		words := strings.Join(strings.Split(args[0], ":"), " ")
		if len(args) > 1 && args[1] != "x" {
			words += " " + args[1]
		}
		if err == nil || !strings.HasPrefix(err.Error(), words+": want ") {
			t.Errorf("%q: %v, want the usage error of the verb %q", args, err, words)
		}
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
