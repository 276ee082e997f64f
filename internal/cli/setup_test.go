package cli

import (
	"slices"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// The tests' host packages hold the cross gccs of the default platforms
// only: the opt-in platforms' compilers are in the build root, and the
// host way's tests never build them.
func TestSetupPackagesOfDefaultPlatforms(t *testing.T) {
	c, _, cfg := testCLI(t, repoRoot(t))
	_, defs, err := c.configAndToolchains()
	if err != nil {
		t.Fatal(err)
	}
	pkgs := setupPackages(cfg, defs, true)
	if !slices.Contains(pkgs, "gcc-aarch64-linux-gnu") || slices.Contains(pkgs, "gcc-s390x-linux-gnu") {
		t.Errorf("test packages %q: want arm64's cross gcc, not s390x's", pkgs)
	}
	cfg.Platforms = []recipe.Platform{"linux/s390x"}
	if pkgs := setupPackages(cfg, defs, true); !slices.Contains(pkgs, "gcc-s390x-linux-gnu") || slices.Contains(pkgs, "gcc-aarch64-linux-gnu") {
		t.Errorf("with linux/s390x selected: %q", pkgs)
	}
}
