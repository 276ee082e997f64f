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
// variant (linux/amd64), e_flags that say nothing about the ABI (or an
// ABI whose bits are all clear, as n64's), a platform no host runs
// natively, qemu's default CPU.
var mayBeZero = map[string]bool{"OCIVariant": true, "FlagsMask": true, "Flags": true, "ABI": true,
	"NativeOn": true, "QEMUCPU": true}

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
		if (f.FlagsMask == 0) != (f.ABI == "") {
			t.Errorf("%s: FlagsMask %#x and ABI %q: a mask needs the ABI's name and vice versa", f.Platform, f.FlagsMask, f.ABI)
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
	if f, ok := recipe.Platform("linux/mips").Facts(); ok {
		t.Errorf("linux/mips has facts %+v, but it is not a platform", f)
	}
	g, ok := recipe.FindPlatform(func(f recipe.PlatformFacts) bool { return f.Machine == elf.EM_RISCV })
	if !ok || g.Platform != recipe.RISCV64 {
		t.Errorf("FindPlatform(EM_RISCV) = %s, %v; want %s", g.Platform, ok, recipe.RISCV64)
	}
	if _, ok := recipe.FindPlatform(func(f recipe.PlatformFacts) bool { return f.DebianArch == "sparc64" }); ok {
		t.Error("FindPlatform found sparc64")
	}
	if s, _ := recipe.S390X.Facts(); s.ByteOrder() != binary.BigEndian {
		t.Errorf("s390x ByteOrder() = %v, want big endian", s.ByteOrder())
	}
}

// The nine platforms are in the table, in matrix order (a run that names
// none builds them all), and the four CI's tests name are platforms of
// the table, in matrix order too.
func TestPlatforms(t *testing.T) {
	want := []recipe.Platform{recipe.AMD64, recipe.ARM64, recipe.ARMv7, recipe.RISCV64,
		recipe.I386, recipe.ARMv6, recipe.PPC64LE, recipe.S390X, recipe.MIPS64LE}
	if !reflect.DeepEqual(recipe.Platforms, want) {
		t.Errorf("Platforms = %v, want the nine %v", recipe.Platforms, want)
	}
	if len(recipe.CIPlatforms) != 4 {
		t.Errorf("CIPlatforms = %v, want four", recipe.CIPlatforms)
	}
	for i, p := range recipe.CIPlatforms {
		if p.Index() < 0 || i > 0 && p.Index() <= recipe.CIPlatforms[i-1].Index() {
			t.Errorf("CIPlatforms = %v: want platforms of the table, in matrix order", recipe.CIPlatforms)
		}
	}
}

// ELFMismatch checks every part of the header, and PlatformOfELF tells
// the two 32-bit arm platforms apart by their float ABI.
func TestELFMismatch(t *testing.T) {
	v7, _ := recipe.ARMv7.Facts()
	v6, _ := recipe.ARMv6.Facts()
	const hard, soft = 0x05000400, 0x05000200
	for _, c := range []struct {
		f     recipe.PlatformFacts
		m     elf.Machine
		c     elf.Class
		d     elf.Data
		flags uint32
		want  string // a part of the mismatch; "" for none
	}{
		{v7, elf.EM_ARM, elf.ELFCLASS32, elf.ELFDATA2LSB, hard, ""},
		{v7, elf.EM_ARM, elf.ELFCLASS32, elf.ELFDATA2LSB, soft, "needs 0x5000400 (ARM EABI5 hard-float)"},
		{v6, elf.EM_ARM, elf.ELFCLASS32, elf.ELFDATA2LSB, soft, ""},
		{v6, elf.EM_ARM, elf.ELFCLASS32, elf.ELFDATA2LSB, hard, "(ARM EABI5 soft-float)"},
		{v7, elf.EM_AARCH64, elf.ELFCLASS64, elf.ELFDATA2LSB, 0, "EM_AARCH64 ELFCLASS64 ELFDATA2LSB, linux/arm/v7 needs EM_ARM"},
		{facts(t, recipe.S390X), elf.EM_S390, elf.ELFCLASS64, elf.ELFDATA2LSB, 0, "ELFDATA2LSB, linux/s390x needs EM_S390 ELFCLASS64 ELFDATA2MSB"},
		{facts(t, recipe.PPC64LE), elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2LSB, 1, "(ELFv2)"},
		{facts(t, recipe.PPC64LE), elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2LSB, 2, ""},
		{facts(t, recipe.MIPS64LE), elf.EM_MIPS, elf.ELFCLASS64, elf.ELFDATA2LSB, 0x80000007, ""},
		{facts(t, recipe.MIPS64LE), elf.EM_MIPS, elf.ELFCLASS64, elf.ELFDATA2LSB, 0x80000027, "(MIPS n64, legacy NaN)"},
		{facts(t, recipe.MIPS64LE), elf.EM_MIPS, elf.ELFCLASS64, elf.ELFDATA2LSB, 0x80000407, "(MIPS n64, legacy NaN)"},
		{facts(t, recipe.I386), elf.EM_386, elf.ELFCLASS32, elf.ELFDATA2LSB, 0, ""},
	} {
		got := c.f.ELFMismatch(c.m, c.c, c.d, c.flags)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s.ELFMismatch(%v %v %v %#x) = %q, want %q", c.f.Platform, c.m, c.c, c.d, c.flags, got, c.want)
		}
	}
	for flags, want := range map[uint32]recipe.Platform{hard: recipe.ARMv7, soft: recipe.ARMv6, 0x05000000: recipe.ARMv6} {
		if f, ok := recipe.PlatformOfELF(elf.EM_ARM, elf.ELFCLASS32, elf.ELFDATA2LSB, flags); !ok || f.Platform != want {
			t.Errorf("PlatformOfELF(EM_ARM, %#x) = %s, %v; want %s", flags, f.Platform, ok, want)
		}
	}
}

func facts(t *testing.T, p recipe.Platform) recipe.PlatformFacts {
	t.Helper()
	f, ok := p.Facts()
	if !ok {
		t.Fatalf("%s has no row", p)
	}
	return f
}

// ParsePlatforms reads "all" alone as every platform and refuses it in a list.
func TestParsePlatforms(t *testing.T) {
	got, err := recipe.ParsePlatforms([]string{"all"})
	if err != nil || !reflect.DeepEqual(got, recipe.Platforms) {
		t.Errorf("ParsePlatforms(all) = %v, %v; want every platform", got, err)
	}
	got, err = recipe.ParsePlatforms([]string{"s390x", "arm/v6"})
	if err != nil || !reflect.DeepEqual(got, []recipe.Platform{recipe.S390X, recipe.ARMv6}) {
		t.Errorf("ParsePlatforms(s390x, arm/v6) = %v, %v", got, err)
	}
	if _, err := recipe.ParsePlatforms([]string{"amd64", "all"}); err == nil || !strings.Contains(err.Error(), `"all" selects every platform and stands alone`) {
		t.Errorf("ParsePlatforms(amd64, all) error %v", err)
	}
}
