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
		if err == nil || !strings.HasPrefix(err.Error(), words+": takes ") || !strings.HasSuffix(err.Error(), "(usage: fromscratch "+strings.TrimSpace(words+" "+strings.Join(verbArgs(words), " "))+")") {
			t.Errorf("%q: %v, want the usage error of the verb %q", args, err, words)
		}
	}
}

// verbArgs are the arguments of the verb words, as its usage names them.
func verbArgs(words string) []string {
	for _, v := range verbs {
		if v.words == words {
			return v.args
		}
	}
	return nil
}

// A wrong number of arguments names the verb, what it takes, what it got
// and its usage.
func TestArgumentCount(t *testing.T) {
	for args, want := range map[string]string{
		"build all extra":   `build all: takes no arguments, got 1: "extra" (usage: fromscratch build all)`,
		"build:recipe":      `build recipe: takes 1 argument (NAME), got none (usage: fromscratch build recipe NAME)`,
		"matrix compare a":  `matrix compare: takes 2 arguments (OLD.json NEW.json), got 1: "a" (usage: fromscratch matrix compare OLD.json NEW.json)`,
		"matrix merge":      `matrix merge: takes at least 1 argument (DIR...), got none (usage: fromscratch matrix merge DIR...)`,
		"image history a b": `image history: takes 1 argument (REF), got 2: "a" "b" (usage: fromscratch image history REF)`,
	} {
		err := (&CLI{}).Run(t.Context(), strings.Fields(args))
		if err == nil || err.Error() != want || ExitCode(err) != ExitUsage {
			t.Errorf("%s: %v (exit %d), want %q and exit 2", args, err, ExitCode(err), want)
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
