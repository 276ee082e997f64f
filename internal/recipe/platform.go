package recipe

import (
	"debug/elf"
	"encoding/binary"
)

// PlatformFacts is what fromscratch knows about one platform, in the
// spelling of each tool that wants it. Every other package reads these
// rows instead of keeping its own table: adding a platform is one row
// here, plus the toolchain files' [[target]]s and a lock refresh.
type PlatformFacts struct {
	Platform Platform // the OCI platform string, "linux/arm/v7"
	// OCIArch and OCIVariant are the image config's architecture and
	// variant ("arm", "v7"); OCIArch is also Go's GOARCH.
	OCIArch, OCIVariant string
	// GlibcTriple and MuslTriple are the GNU system types per C library,
	// as configure's --host, config.sub and the cross gccs' prefixes
	// spell them ("arm-linux-gnueabihf", "arm-linux-musleabihf").
	GlibcTriple, MuslTriple string
	// DebianArch is Debian's architecture name ("armhf"), Multiarch its
	// multiarch tuple: where its packages put libraries (lib/<tuple>) and
	// where glibc's loader looks first.
	DebianArch, Multiarch string
	// Machine, Class and Data are the ELF header of the platform's programs.
	Machine elf.Machine
	Class   elf.Class
	Data    elf.Data
	// Every program of the platform has e_flags&FlagsMask == Flags: the
	// ABI its loader and libraries are built for (ARM EABI 5 with hard
	// float, RISC-V double-float). Both 0 where e_flags says nothing.
	FlagsMask, Flags uint32
	// QEMU is qemu-user's name of the architecture: qemu-<QEMU>, and
	// Debian's /usr/lib/binfmt.d/qemu-<QEMU>.conf.
	QEMU string
	// CMakeProcessor is CMAKE_SYSTEM_PROCESSOR, as Debian's debhelper sets it.
	CMakeProcessor string
	// GlibcLoader and MuslLoader are the PT_INTERP of dynamic programs.
	GlibcLoader, MuslLoader string
}

// e_flags bits of the ABIs (the ARM ELF ABI, the RISC-V ELF psABI); debug/elf has none of them.
const (
	efARMEABIMask         = 0xff000000
	efARMEABIVer5         = 0x05000000
	efARMABIFloatHard     = 0x00000400
	efRISCVFloatABIMask   = 0x0006
	efRISCVFloatABIDouble = 0x0004
)

// platformTable is the one table of platforms, in matrix order.
var platformTable = []PlatformFacts{
	{
		Platform: AMD64, OCIArch: "amd64",
		GlibcTriple: "x86_64-linux-gnu", MuslTriple: "x86_64-linux-musl",
		DebianArch: "amd64", Multiarch: "x86_64-linux-gnu",
		Machine: elf.EM_X86_64, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB,
		QEMU: "x86_64", CMakeProcessor: "x86_64",
		GlibcLoader: "/lib64/ld-linux-x86-64.so.2", MuslLoader: "/lib/ld-musl-x86_64.so.1",
	},
	{
		Platform: ARM64, OCIArch: "arm64",
		GlibcTriple: "aarch64-linux-gnu", MuslTriple: "aarch64-linux-musl",
		DebianArch: "arm64", Multiarch: "aarch64-linux-gnu",
		Machine: elf.EM_AARCH64, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB,
		QEMU: "aarch64", CMakeProcessor: "aarch64",
		GlibcLoader: "/lib/ld-linux-aarch64.so.1", MuslLoader: "/lib/ld-musl-aarch64.so.1",
	},
	{
		Platform: ARMv7, OCIArch: "arm", OCIVariant: "v7",
		GlibcTriple: "arm-linux-gnueabihf", MuslTriple: "arm-linux-musleabihf",
		DebianArch: "armhf", Multiarch: "arm-linux-gnueabihf",
		Machine: elf.EM_ARM, Class: elf.ELFCLASS32, Data: elf.ELFDATA2LSB,
		FlagsMask: efARMEABIMask | efARMABIFloatHard, Flags: efARMEABIVer5 | efARMABIFloatHard,
		QEMU: "arm", CMakeProcessor: "arm",
		GlibcLoader: "/lib/ld-linux-armhf.so.3", MuslLoader: "/lib/ld-musl-armhf.so.1",
	},
	{
		Platform: RISCV64, OCIArch: "riscv64",
		GlibcTriple: "riscv64-linux-gnu", MuslTriple: "riscv64-linux-musl",
		DebianArch: "riscv64", Multiarch: "riscv64-linux-gnu",
		Machine: elf.EM_RISCV, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB,
		FlagsMask: efRISCVFloatABIMask, Flags: efRISCVFloatABIDouble,
		QEMU: "riscv64", CMakeProcessor: "riscv64",
		GlibcLoader: "/lib/ld-linux-riscv64-lp64d.so.1", MuslLoader: "/lib/ld-musl-riscv64.so.1",
	},
}

func platformsOf(table []PlatformFacts) []Platform {
	out := make([]Platform, len(table))
	for i, f := range table {
		out[i] = f.Platform
	}
	return out
}

// Facts is the row of p; false when p is not a platform fromscratch builds for.
func (p Platform) Facts() (PlatformFacts, bool) {
	return FindPlatform(func(f PlatformFacts) bool { return f.Platform == p })
}

// FindPlatform is the first row, in matrix order, that match accepts:
// the way to look a platform up by another of its spellings (an ELF
// machine, a Debian architecture, a GOARCH).
func FindPlatform(match func(PlatformFacts) bool) (PlatformFacts, bool) {
	for _, f := range platformTable {
		if match(f) {
			return f, true
		}
	}
	return PlatformFacts{}, false
}

// Triple is the GNU system type for the C library libc: MuslTriple for
// "musl", GlibcTriple for anything else.
func (f PlatformFacts) Triple(libc string) string {
	if libc == "musl" {
		return f.MuslTriple
	}
	return f.GlibcTriple
}

// Loader is the PT_INTERP of a dynamic program for the C library libc:
// MuslLoader for "musl", GlibcLoader for anything else.
func (f PlatformFacts) Loader(libc string) string {
	if libc == "musl" {
		return f.MuslLoader
	}
	return f.GlibcLoader
}

// ByteOrder is the byte order of the platform's ELF files.
func (f PlatformFacts) ByteOrder() binary.ByteOrder {
	if f.Data == elf.ELFDATA2MSB {
		return binary.BigEndian
	}
	return binary.LittleEndian
}
