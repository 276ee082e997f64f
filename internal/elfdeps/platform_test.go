package elfdeps

import (
	"bytes"
	"debug/elf"
	"os"
	"path/filepath"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// noStatic are the platforms without a checked-in static hello: zig 0.11
// cannot link s390x, and glibc's static hello is 700 kB.
var noStatic = map[recipe.Platform]bool{recipe.S390X: true}

// The platform table's ELF facts are those of real programs: every
// checked-in hello (testdata/hello-<arch>-{static,dynamic}) has its
// platform's machine, class, byte order and ABI flags, and a dynamic one
// asks for the platform's glibc loader; PlatformOfELF finds the platform
// back from the header.
func TestPlatformTableMatchesCheckedIn(t *testing.T) {
	for _, p := range recipe.Platforms {
		want, _ := p.Facts()
		for _, linkage := range []string{"static", "dynamic"} {
			if linkage == "static" && noStatic[p] {
				continue
			}
			file := filepath.Join("testdata", "hello-"+p.Arch()+"-"+linkage)
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			f, err := elf.NewFile(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if f.Machine != want.Machine || f.Class != want.Class || f.Data != want.Data || f.ByteOrder != want.ByteOrder() {
				t.Errorf("%s is %v %v %v, but the %s row says %v %v %v", file, f.Machine, f.Class, f.Data, p, want.Machine, want.Class, want.Data)
			}
			// e_flags, which debug/elf does not expose: at 0x24 of an ELF32
			// header, at 0x30 of an ELF64 one.
			off := 0x24
			if f.Class == elf.ELFCLASS64 {
				off = 0x30
			}
			if flags := f.ByteOrder.Uint32(raw[off:]); flags&want.FlagsMask != want.Flags {
				t.Errorf("%s: e_flags %#x, masked with %#x is %#x, want %#x", file, flags, want.FlagsMask, flags&want.FlagsMask, want.Flags)
			}
			info, err := Inspect(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if info.ByteOrder != want.Data || info.Flags != f.ByteOrder.Uint32(raw[off:]) {
				t.Errorf("%s: Inspect reads %v, e_flags %#x", file, info.ByteOrder, info.Flags)
			}
			if err := CheckPlatform(info, want); err != nil {
				t.Errorf("%s: %v", file, err)
			}
			if got := platformOf(info); got.Platform != p {
				t.Errorf("%s: platformOf = %s, want %s", file, got.Platform, p)
			}
			if linkage == "dynamic" && info.Interp != want.Loader("glibc") {
				t.Errorf("%s asks for %s, but the %s row says %s", file, info.Interp, p, want.Loader("glibc"))
			}
		}
	}
}
