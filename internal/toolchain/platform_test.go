package toolchain_test

import (
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// The toolchain files' [[target]]s spell their platform the way the
// platform table (recipe.PlatformFacts) does: a new row and its targets
// cannot disagree.
func TestTargetsAgreeWithPlatformTable(t *testing.T) {
	defs, err := toolchain.LoadAll(realToolchains)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range defs {
		for _, tg := range d.Targets {
			f, ok := tg.Platform.Facts()
			if !ok {
				t.Errorf("toolchains/%s: %s is not in the platform table", d.File, tg.Platform)
				continue
			}
			check := func(field, got, want string) {
				if got != "" && got != want {
					t.Errorf("toolchains/%s: %s: %s %q, the platform table says %q", d.File, tg.Platform, field, got, want)
				}
			}
			check("prefix", tg.Prefix, f.GlibcTriple+"-")
			check("sysroot", tg.Sysroot, "/usr/"+f.GlibcTriple)
			zig := func(triple string) string { _, rest, _ := strings.Cut(triple, "-"); return f.ZigArch + "-" + rest }
			check("static_triple", tg.StaticTriple, zig(f.MuslTriple))
			check("dynamic_triple", strings.Split(tg.DynamicTriple, ".")[0], zig(f.GlibcTriple))
			check("runtime_arch", tg.RuntimeArch, f.DebianArch)
		}
	}
}
