package cli

import (
	"slices"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// The tests' host packages hold the cross gccs of CI's four platforms
// only (recipe.CIPlatforms): the other platforms' compilers are in the
// build root, and the host way's tests never build them. A host-way setup
// that names no platform installs them all, since its build builds all
// nine.
func TestSetupPackagesOfCIPlatforms(t *testing.T) {
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
	cfg.Platforms, cfg.Hermetic = nil, false
	if pkgs := setupPackages(cfg, defs, false); !slices.Contains(pkgs, "gcc-s390x-linux-gnu") || !slices.Contains(pkgs, "gcc-aarch64-linux-gnu") {
		t.Errorf("the host way without a selection: %q, want the cross gccs of every platform", pkgs)
	}
}
