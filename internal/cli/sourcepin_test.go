package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// source:pin fetches a real source package from the machine's Debian
// mirror with a private apt and a fresh cache, prints the pins the tree
// recipe carries, and leaves the files in the source store, where the
// recipe's build finds them without the network.
func TestSourcePin(t *testing.T) {
	if testing.Short() {
		t.Skip("reaches the Debian mirror")
	}
	cacheDir := t.TempDir()
	c, out, _ := testCLI(t, repoRoot(t), "FROMSCRATCH_CACHE="+cacheDir)
	if err := c.Run(t.Context(), []string{"source:pin", "tree=2.1.0-1"}); err != nil {
		t.Fatalf("source:pin: %v\n%s", err, out)
	}
	var got struct{ Source recipe.Source }
	if _, err := toml.Decode(out.String(), &got); err != nil {
		t.Fatalf("the output is not TOML: %v\n%s", err, out)
	}
	tree, err := recipe.Load(filepath.Join(repoRoot(t), "recipes", "tree"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Source.Debian != "tree" || got.Source.Version != tree.Source.Version || len(got.Source.Files) != len(tree.Source.Files) {
		t.Fatalf("source:pin printed %+v, the tree recipe has %+v", got.Source, tree.Source)
	}
	for name, pin := range tree.Source.Files {
		if got.Source.Files[name] != pin {
			t.Errorf("%s: printed %q, the recipe pins %q", name, got.Source.Files[name], pin)
		}
		if _, err := os.Stat(filepath.Join(cacheDir, "sources", "sha256", pin.Hex())); err != nil {
			t.Errorf("%s is not in the source store: %v", name, err)
		}
	}
	if !strings.Contains(out.String(), "# Build-Depends: debhelper-compat (= 13)") {
		t.Errorf("no Build-Depends comment:\n%s", out)
	}

	for arg, want := range map[string]string{
		"tree=9.9-9":   "Can not find version '9.9-9' of package 'tree'",
		"Tree":         `"Tree" is not a Debian source package name`,
		"tree=not ok!": `"not ok!" is not a Debian version`,
	} {
		c, out, _ := testCLI(t, repoRoot(t), "FROMSCRATCH_CACHE="+cacheDir)
		err := c.Run(t.Context(), []string{"source:pin", arg})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("source:pin %s: %v (printed %q), want an error saying %q", arg, err, out, want)
		}
	}
}
