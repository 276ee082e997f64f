package recipe_test

import (
	"debug/elf"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// mayBeZero are the fields a row may leave empty: a platform without a
// variant (linux/amd64), and e_flags that say nothing about the ABI.
var mayBeZero = map[string]bool{"OCIVariant": true, "FlagsMask": true, "Flags": true}

// Every row has every fact, so a new platform cannot be half added.
func TestPlatformTableComplete(t *testing.T) {
	if len(recipe.Platforms) == 0 {
		t.Fatal("the platform table is empty")
	}
	typ := reflect.TypeOf(recipe.PlatformFacts{})
	for _, f := range table(t) {
		v := reflect.ValueOf(f)
		for i := range typ.NumField() {
			if name := typ.Field(i).Name; !mayBeZero[name] && v.Field(i).IsZero() {
				t.Errorf("%s: %s is empty", f.Platform, name)
			}
		}
	}
}

// The spellings of one row agree with each other, and no two rows share
// a spelling that is looked up.
func TestPlatformTableConsistent(t *testing.T) {
	seen := map[string]recipe.Platform{}
	unique := func(p recipe.Platform, field, value string) {
		if q, ok := seen[field+" "+value]; ok {
			t.Errorf("%s and %s share %s %q", q, p, field, value)
		}
		seen[field+" "+value] = p
	}
	for _, f := range table(t) {
		oci := "linux/" + f.OCIArch
		if f.OCIVariant != "" {
			oci += "/" + f.OCIVariant
		}
		if string(f.Platform) != oci {
			t.Errorf("%s: OCI architecture %q and variant %q spell %s", f.Platform, f.OCIArch, f.OCIVariant, oci)
		}
		if _, err := recipe.ParsePlatform(string(f.Platform)); err != nil {
			t.Errorf("%s: %v", f.Platform, err)
		}
		if f.Flags&^f.FlagsMask != 0 {
			t.Errorf("%s: Flags %#x has bits outside FlagsMask %#x", f.Platform, f.Flags, f.FlagsMask)
		}
		for _, l := range []string{f.GlibcLoader, f.MuslLoader} {
			if !strings.HasPrefix(l, "/lib") || !strings.Contains(l, ".so.") {
				t.Errorf("%s: loader %q is not an absolute /lib path of a shared object", f.Platform, l)
			}
		}
		if !strings.Contains(f.GlibcTriple, "-linux-gnu") || !strings.Contains(f.MuslTriple, "-linux-musl") {
			t.Errorf("%s: triples %q, %q: want *-linux-gnu* and *-linux-musl*", f.Platform, f.GlibcTriple, f.MuslTriple)
		}
		unique(f.Platform, "platform", string(f.Platform))
		unique(f.Platform, "Debian architecture", f.DebianArch)
		unique(f.Platform, "multiarch tuple", f.Multiarch)
		unique(f.Platform, "glibc triple", f.GlibcTriple)
	}
}

// table is the row of every platform, in matrix order.
func table(t *testing.T) []recipe.PlatformFacts {
	t.Helper()
	var rows []recipe.PlatformFacts
	for _, p := range recipe.Platforms {
		f, ok := p.Facts()
		if !ok || f.Platform != p {
			t.Fatalf("%s.Facts() = %+v, %v: want its own row", p, f, ok)
		}
		rows = append(rows, f)
	}
	return rows
}

func TestPlatformFacts(t *testing.T) {
	f, ok := recipe.ARMv7.Facts()
	if !ok || f.Machine != elf.EM_ARM || f.Class != elf.ELFCLASS32 || f.DebianArch != "armhf" {
		t.Errorf("ARMv7.Facts() = %+v, %v", f, ok)
	}
	if got := f.Triple("musl"); got != "arm-linux-musleabihf" {
		t.Errorf("Triple(musl) = %q", got)
	}
	if got := f.Triple("glibc"); got != "arm-linux-gnueabihf" {
		t.Errorf("Triple(glibc) = %q", got)
	}
	if got := f.Loader("glibc"); got != "/lib/ld-linux-armhf.so.3" {
		t.Errorf("Loader(glibc) = %q", got)
	}
	if got := f.Loader("musl"); got != "/lib/ld-musl-armhf.so.1" {
		t.Errorf("Loader(musl) = %q", got)
	}
	if f.ByteOrder() != binary.LittleEndian {
		t.Errorf("ByteOrder() = %v, want little endian", f.ByteOrder())
	}
	if f, ok := recipe.Platform("linux/386").Facts(); ok {
		t.Errorf("linux/386 has facts %+v, but it is not a platform", f)
	}
	g, ok := recipe.FindPlatform(func(f recipe.PlatformFacts) bool { return f.Machine == elf.EM_RISCV })
	if !ok || g.Platform != recipe.RISCV64 {
		t.Errorf("FindPlatform(EM_RISCV) = %s, %v; want %s", g.Platform, ok, recipe.RISCV64)
	}
	if _, ok := recipe.FindPlatform(func(f recipe.PlatformFacts) bool { return f.DebianArch == "s390x" }); ok {
		t.Error("FindPlatform found s390x")
	}
}
