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
