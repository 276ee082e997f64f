package elfdeps

import (
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// The tiny ELF files checked in under testdata (see testdata/README.md for
// the commands that made them). These tests need no compiler.
var checkedIn = []struct {
	file    string
	machine elf.Machine
	class   elf.Class
	typ     elf.Type
	static  bool
	pie     bool
	interp  string
	needed  []string
	soname  string
}{
	{"hello-amd64-static", elf.EM_X86_64, elf.ELFCLASS64, elf.ET_EXEC, true, false, "", nil, ""},
	{"hello-arm64-static", elf.EM_AARCH64, elf.ELFCLASS64, elf.ET_EXEC, true, false, "", nil, ""},
	{"hello-arm-v7-static", elf.EM_ARM, elf.ELFCLASS32, elf.ET_EXEC, true, false, "", nil, ""},
	{"hello-riscv64-static", elf.EM_RISCV, elf.ELFCLASS64, elf.ET_EXEC, true, false, "", nil, ""},
	{"hello-amd64-static-pie", elf.EM_X86_64, elf.ELFCLASS64, elf.ET_DYN, true, true, "", nil, ""},
	{"hello-amd64-dynamic", elf.EM_X86_64, elf.ELFCLASS64, elf.ET_DYN, false, true, "/lib64/ld-linux-x86-64.so.2", []string{"libc.so.6"}, ""},
	{"hello-arm64-dynamic", elf.EM_AARCH64, elf.ELFCLASS64, elf.ET_DYN, false, true, "/lib/ld-linux-aarch64.so.1", []string{"libc.so.6"}, ""},
	{"hello-arm-v7-dynamic", elf.EM_ARM, elf.ELFCLASS32, elf.ET_DYN, false, true, "/lib/ld-linux-armhf.so.3", []string{"libc.so.6"}, ""},
	{"hello-riscv64-dynamic", elf.EM_RISCV, elf.ELFCLASS64, elf.ET_DYN, false, true, "/lib/ld-linux-riscv64-lp64d.so.1", []string{"libc.so.6"}, ""},
	{"libbar.so", elf.EM_X86_64, elf.ELFCLASS64, elf.ET_DYN, true, false, "", nil, "libbar.so.1"},
	{"foo.o", elf.EM_X86_64, elf.ELFCLASS64, elf.ET_REL, true, false, "", nil, ""},
}

func TestInspectCheckedIn(t *testing.T) {
	for _, tc := range checkedIn {
		t.Run(tc.file, func(t *testing.T) {
			p := filepath.Join("testdata", tc.file)
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() > 8<<10 {
				t.Errorf("%s is %d bytes: keep checked-in files under 8 KiB", p, st.Size())
			}
			info, err := InspectFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if info.Machine != tc.machine || info.Class != tc.class || info.Type != tc.typ {
				t.Errorf("%v %v %v, want %v %v %v", info.Machine, info.Class, info.Type, tc.machine, tc.class, tc.typ)
			}
			if info.Static() != tc.static || info.PIE != tc.pie || info.Interp != tc.interp {
				t.Errorf("static %v PIE %v interp %q, want static %v PIE %v interp %q",
					info.Static(), info.PIE, info.Interp, tc.static, tc.pie, tc.interp)
			}
			if !slices.Equal(info.Needed, tc.needed) || info.SOName != tc.soname {
				t.Errorf("NEEDED %q SONAME %q, want %q %q", info.Needed, info.SOName, tc.needed, tc.soname)
			}
			// The programs and the library were linked with -s; the
			// object keeps its symbols.
			if unstripped := tc.typ == elf.ET_REL; info.Symtab != unstripped {
				t.Errorf("Symtab %v, want %v", info.Symtab, unstripped)
			}
			if (info.Entry != 0) != (tc.typ == elf.ET_EXEC || tc.pie) {
				t.Errorf("entry point %#x: want one exactly for executables", info.Entry)
			}
		})
	}
}

// Each checked-in program's platform maps to the machine and class the file
// has, so the linkage check of a cell can be tested with these files.
func TestMachineForCheckedIn(t *testing.T) {
	for platform, file := range map[string]string{
		"linux/amd64":   "hello-amd64-static",
		"linux/arm64":   "hello-arm64-dynamic",
		"linux/arm/v7":  "hello-arm-v7-static",
		"linux/riscv64": "hello-riscv64-dynamic",
	} {
		info, err := InspectFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		m, c, err := MachineFor(platform)
		if err != nil || m != info.Machine || c != info.Class {
			t.Errorf("MachineFor(%s) = %v %v %v, but %s is %v %v", platform, m, c, err, file, info.Machine, info.Class)
		}
	}
}

// The ARM files follow the EABI version 5 with the hard-float ABI, which is
// what linux/arm/v7 images run.
func TestCheckedInARMIsEABIHardFloat(t *testing.T) {
	for _, file := range []string{"hello-arm-v7-static", "hello-arm-v7-dynamic"} {
		raw, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		// e_flags at 0x24 of an ELF32 header: EF_ARM_EABI_VER5 (0x05000000)
		// and EF_ARM_ABI_FLOAT_HARD (0x400).
		if flags := binary.LittleEndian.Uint32(raw[0x24:]); flags&0xff000000 != 0x05000000 || flags&0x400 == 0 {
			t.Errorf("%s: e_flags %#x, want EABI version 5 with the hard-float flag", file, flags)
		}
	}
}

// Verify accepts a static checked-in program alone in an image, and names
// the missing interpreter and libc of a dynamic one.
func TestVerifyCheckedIn(t *testing.T) {
	if err := Verify(map[string]string{"/hello": filepath.Join("testdata", "hello-riscv64-static")}, factsOf(t, recipe.RISCV64)); err != nil {
		t.Errorf("Verify(static riscv64) = %v, want nil", err)
	}
	err := Verify(map[string]string{"/hello": filepath.Join("testdata", "hello-arm64-dynamic")}, factsOf(t, recipe.ARM64))
	for _, want := range []string{
		"/hello needs interpreter /lib/ld-linux-aarch64.so.1, which is not in the image",
		"/hello needs library libc.so.6, which is not in the image",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Verify(dynamic arm64 alone) = %v, want it to say %q", err, want)
		}
	}
	err = Verify(map[string]string{"/hello": filepath.Join("testdata", "hello-arm-v7-static")}, factsOf(t, recipe.AMD64))
	if err == nil || !strings.Contains(err.Error(), "/hello is EM_ARM ELFCLASS32 ELFDATA2LSB, linux/amd64 needs EM_X86_64 ELFCLASS64") {
		t.Errorf("Verify(arm program as amd64) = %v, want a machine mismatch", err)
	}
	// The ABI flags tell armel from armhf: an ARMv6 soft-float program is
	// not an arm/v7 one, nor an arm/v7 hard-float one an arm/v6 one.
	err = Verify(map[string]string{"/hello": filepath.Join("testdata", "hello-arm-v6-static")}, factsOf(t, recipe.ARMv7))
	if err == nil || !strings.Contains(err.Error(), "/hello is e_flags 0x5000200 (masked with 0xff000400: 0x5000000), linux/arm/v7 needs 0x5000400 (ARM EABI5 hard-float)") {
		t.Errorf("Verify(arm/v6 program as arm/v7) = %v, want a float ABI mismatch", err)
	}
	err = Verify(map[string]string{"/hello": filepath.Join("testdata", "hello-arm-v7-static")}, factsOf(t, recipe.ARMv6))
	if err == nil || !strings.Contains(err.Error(), "(ARM EABI5 soft-float)") {
		t.Errorf("Verify(arm/v7 program as arm/v6) = %v, want a float ABI mismatch", err)
	}
}
