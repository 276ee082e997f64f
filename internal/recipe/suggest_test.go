package recipe_test

import (
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

func TestClosest(t *testing.T) {
	keys := []string{"cflags", "ldflags", "sources", "smoke.stdout", "make_args"}
	for word, want := range map[string]string{
		"cflgas":      "cflags",       // a swap
		"cflag":       "cflags",       // a letter missing
		"source":      "sources",      //
		"smoke.stdot": "smoke.stdout", //
		"makeargs":    "make_args",    //
		"version":     "",             // nothing close
		"x":           "",             //
	} {
		if got := recipe.Closest(word, keys); got != want {
			t.Errorf("Closest(%q) = %q, want %q", word, got, want)
		}
	}
	if got := recipe.DidYouMean("cflgas", keys); got != " (did you mean cflags?)" {
		t.Errorf("DidYouMean = %q", got)
	}
}
