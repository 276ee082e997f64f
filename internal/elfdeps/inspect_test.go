package elfdeps

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestInspect(t *testing.T) {
	hello := src(t, "hello.c")
	for _, tc := range []struct {
		name    string
		cc      string
		args    []string
		static  bool
		machine elf.Machine
		class   elf.Class
		typ     elf.Type
		interp  string
		needed  []string
	}{
		{"gcc", "gcc", nil, false, elf.EM_X86_64, elf.ELFCLASS64, elf.ET_DYN, "/lib64/ld-linux-x86-64.so.2", []string{"libc.so.6"}},
		{"gcc -static", "gcc", []string{"-static"}, true, elf.EM_X86_64, elf.ELFCLASS64, elf.ET_EXEC, "", nil},
		{"gcc -static-pie", "gcc", []string{"-static-pie"}, true, elf.EM_X86_64, elf.ELFCLASS64, elf.ET_DYN, "", nil},
		{"musl-gcc", "musl-gcc", nil, false, elf.EM_X86_64, elf.ELFCLASS64, elf.ET_DYN, "/lib/ld-musl-x86_64.so.1", []string{"libc.so"}},
		{"musl-gcc -static", "musl-gcc", []string{"-static"}, true, elf.EM_X86_64, elf.ELFCLASS64, elf.ET_EXEC, "", nil},
		{"aarch64", "aarch64-linux-gnu-gcc", nil, false, elf.EM_AARCH64, elf.ELFCLASS64, elf.ET_DYN, "/lib/ld-linux-aarch64.so.1", []string{"libc.so.6"}},
		{"aarch64 -static", "aarch64-linux-gnu-gcc", []string{"-static"}, true, elf.EM_AARCH64, elf.ELFCLASS64, elf.ET_EXEC, "", nil},
		{"armhf", "arm-linux-gnueabihf-gcc", nil, false, elf.EM_ARM, elf.ELFCLASS32, elf.ET_DYN, "/lib/ld-linux-armhf.so.3", []string{"libc.so.6"}},
		{"riscv64", "riscv64-linux-gnu-gcc", nil, false, elf.EM_RISCV, elf.ELFCLASS64, elf.ET_DYN, "/lib/ld-linux-riscv64-lp64d.so.1", []string{"libc.so.6"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bin := build(t, tc.cc, filepath.Join(t.TempDir(), "hello"), append(tc.args, hello)...)
			info, err := InspectFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			if info.Static() != tc.static || info.Machine != tc.machine || info.Class != tc.class ||
				info.Type != tc.typ || info.Interp != tc.interp || !slices.Equal(info.Needed, tc.needed) {
				t.Errorf("Inspect = static %v %v %v %v interp %q needed %q\nwant static %v %v %v %v interp %q needed %q",
					info.Static(), info.Machine, info.Class, info.Type, info.Interp, info.Needed,
					tc.static, tc.machine, tc.class, tc.typ, tc.interp, tc.needed)
			}
			if info.Text == 0 || info.BSS == 0 {
				t.Errorf("section sizes .text %d .data %d .bss %d, want .text and .bss > 0", info.Text, info.Data, info.BSS)
			}
		})
	}
}

func TestInspectLibrary(t *testing.T) {
	dir := t.TempDir()
	lib := build(t, "gcc", filepath.Join(dir, "libbar.so"), "-shared", "-fPIC", "-Wl,-soname,libbar.so.1", src(t, "bar.c"))
	bin := build(t, "gcc", filepath.Join(dir, "app"), src(t, "usefoo.c"), src(t, "foo.c"), lib,
		"-Wl,--disable-new-dtags", "-Wl,-rpath,/opt/a:$ORIGIN/lib")
	info, err := InspectFile(lib)
	if err != nil {
		t.Fatal(err)
	}
	if info.SOName != "libbar.so.1" || info.Interp != "" || info.Type != elf.ET_DYN {
		t.Errorf("library: soname %q interp %q type %v, want libbar.so.1, no interpreter, ET_DYN", info.SOName, info.Interp, info.Type)
	}
	info, err = InspectFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/opt/a", "$ORIGIN/lib"}; !slices.Equal(info.RPath, want) || info.RunPath != nil {
		t.Errorf("RPATH %q RUNPATH %q, want %q and none", info.RPath, info.RunPath, want)
	}
	if want := []string{"libbar.so.1", "libc.so.6"}; !slices.Equal(info.Needed, want) {
		t.Errorf("NEEDED %q, want %q", info.Needed, want)
	}
}

// The loader reads only program headers; so does Inspect. With the section
// header table cut off, the dynamic entries must still be found.
func TestInspectWithoutSectionHeaders(t *testing.T) {
	dir := t.TempDir()
	bin := build(t, "g++", filepath.Join(dir, "hello"), src(t, "hello.cc"))
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	// ELF64 header: e_shoff at 0x28, e_shnum at 0x3c, e_shstrndx at 0x3e.
	binary.LittleEndian.PutUint64(b[0x28:], 0)
	binary.LittleEndian.PutUint16(b[0x3c:], 0)
	binary.LittleEndian.PutUint16(b[0x3e:], 0)
	info, err := Inspect(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"libstdc++.so.6", "libgcc_s.so.1", "libc.so.6"}; !slices.Equal(info.Needed, want) {
		t.Errorf("NEEDED without section headers %q, want %q", info.Needed, want)
	}
	if info.Interp != "/lib64/ld-linux-x86-64.so.2" || info.Text != 0 {
		t.Errorf("interp %q .text %d, want /lib64/ld-linux-x86-64.so.2 and 0", info.Interp, info.Text)
	}
}

func TestInspectFileNamesPath(t *testing.T) {
	p := filepath.Join(t.TempDir(), "not-elf")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := InspectFile(p)
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("InspectFile(shell script) = %v, want an error naming %s", err, p)
	}
}

func TestMachineFor(t *testing.T) {
	for _, tc := range []struct {
		platform string
		machine  elf.Machine
		class    elf.Class
	}{
		{"linux/amd64", elf.EM_X86_64, elf.ELFCLASS64},
		{"linux/arm64", elf.EM_AARCH64, elf.ELFCLASS64},
		{"linux/arm/v7", elf.EM_ARM, elf.ELFCLASS32},
		{"linux/riscv64", elf.EM_RISCV, elf.ELFCLASS64},
	} {
		m, c, err := MachineFor(tc.platform)
		if err != nil || m != tc.machine || c != tc.class {
			t.Errorf("MachineFor(%q) = %v, %v, %v; want %v, %v", tc.platform, m, c, err, tc.machine, tc.class)
		}
	}
	if _, _, err := MachineFor("windows/amd64"); err == nil {
		t.Error("MachineFor(windows/amd64) succeeded, want an error")
	}
}
