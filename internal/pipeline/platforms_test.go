package pipeline

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

// TestNewPlatformsHello builds hello static with gcc (Debian's cross
// gccs) and zig for the five platforms CI's whole-matrix tests leave out
// (all but recipe.CIPlatforms), and runs each image under qemu
// (linux/arm/v6 on an ARMv6 CPU, QEMU_CPU=arm1176), in the build root
// (their cross gccs are there, not on the host):
// every cell is built and smoke-passed, or not applicable with its
// measured reason (zig cannot link s390x). Its cost is mostly zig's musl
// build per target, once per cache.
func TestNewPlatformsHello(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hello for five platforms")
	}
	needEngine(t)
	cfg := hermeticOptions(t, repoRoot(t))
	cfg.Smoke = true
	var extra []recipe.Platform
	for _, p := range recipe.Platforms {
		if !slices.Contains(recipe.CIPlatforms, p) {
			extra = append(extra, p)
		}
	}
	cfg.Recipes, cfg.Toolchains, cfg.Linkages = []string{"hello"}, []string{"gcc", "zig"}, []recipe.Linkage{recipe.Static}
	// gcc on the five; zig on those zigInTests keeps (its libc
	// per target costs minutes on a fresh machine), then gcc alone on the
	// rest, into the same out/.
	var withZig, gccOnly []recipe.Platform
	for _, p := range extra {
		if zigInTests(p) {
			withZig = append(withZig, p)
		} else {
			gccOnly = append(gccOnly, p)
		}
	}
	for _, part := range []struct {
		platforms  []recipe.Platform
		toolchains []string
	}{{withZig, []string{"gcc", "zig"}}, {gccOnly, []string{"gcc"}}} {
		if len(part.platforms) == 0 {
			continue
		}
		cfg.Platforms, cfg.Toolchains = part.platforms, part.toolchains
		if _, err := New(cfg).Build(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	zigCells := len(withZig)
	m, err := matrix.Load(filepath.Join(cfg.OutDir, "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Rows) != len(extra)+zigCells {
		t.Fatalf("%d rows for %d platforms with gcc and %d with zig: %+v", len(m.Rows), len(extra), zigCells, m.Rows)
	}
	for _, r := range m.Rows {
		switch {
		case r.Toolchain == "zig" && !zigInTests(recipe.Platform(r.Platform)):
			t.Errorf("%s: built, but zig was left out of this run", r.Key())
		case r.Platform == string(recipe.S390X) && r.Toolchain == "zig":
			if r.Status != matrix.StatusNotApplicable || !strings.Contains(r.Reason, "elf64_s390") {
				t.Errorf("%s: %s (%s), want not applicable: zig's lld cannot link s390x", r.Key(), r.Status, r.Reason)
			}
		case r.Status != matrix.StatusBuilt:
			t.Errorf("%s: %s: %s", r.Key(), r.Status, r.Reason)
		case r.Smoke.Status != matrix.SmokePass:
			t.Errorf("%s: smoke %s: %s %s", r.Key(), r.Smoke.Status, r.Smoke.Reason, r.Smoke.Output)
		default:
			t.Logf("%s: binary %d bytes, image %d bytes, smoke %d ms", r.Key(), r.Sizes.Binary, r.Sizes.ImageDocker, r.Smoke.DurationMS)
		}
	}
}

// zigInTests says whether the tests build zig for platform p: on the
// four of CI's tests (recipe.CIPlatforms) and linux/386, or everywhere
// with FROMSCRATCH_TEST_ALL_ZIG=1 (testutil.AllZigEnv).
func zigInTests(p recipe.Platform) bool {
	return slices.Contains(recipe.CIPlatforms, p) || p == recipe.I386 || testutil.AllZig()
}
