package recipe

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
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
	// ABI names what Flags stand for, for error messages ("ELFv2").
	ABI string
	// ZigArch is zig's name of the CPU architecture, the first part of
	// its -target triples ("x86" where GNU says "i686").
	ZigArch string
	// QEMU is qemu-user's name of the architecture: qemu-<QEMU>, and
	// Debian's /usr/lib/binfmt.d/qemu-<QEMU>.conf.
	QEMU string
	// CMakeProcessor is CMAKE_SYSTEM_PROCESSOR, as Debian's debhelper sets it.
	CMakeProcessor string
	// GlibcLoader and MuslLoader are the PT_INTERP of dynamic programs.
	GlibcLoader, MuslLoader string
	// NativeOn are the host architectures (GOARCH) whose kernels run the
	// platform's programs without an emulator: 386 on amd64. Smoke runs
	// there need no binfmt handler.
	NativeOn []string
	// QEMUCPU is the CPU qemu-user emulates for smoke runs when its
	// default (the newest CPU of the architecture) would accept programs
	// the platform's CPUs cannot run: arm1176 (ARMv6) for linux/arm/v6.
	QEMUCPU string
}

// e_flags bits of the ABIs (the ARM ELF ABI, the RISC-V ELF psABI); debug/elf has none of them.
const (
	efARMEABIMask         = 0xff000000
	efARMEABIVer5         = 0x05000000
	efARMABIFloatHard     = 0x00000400
	efRISCVFloatABIMask   = 0x0006
	efRISCVFloatABIDouble = 0x0004
	// ELFv2 (the little-endian ppc64 ABI) sets e_flags' ABI bits to 2;
	// ELFv1 programs have 1, and objects that say nothing 0.
	efPPC64ABIMask = 0x3
	efPPC64ABIv2   = 0x2
	// MIPS: a 64-bit n64 program has none of the o32/o64/eabi ABI bits
	// nor EF_MIPS_ABI2 (n32), and Debian's mips64el is built for the
	// legacy NaN encoding (no EF_MIPS_NAN2008): glibc's loader refuses to
	// mix the two.
	efMIPSABIMask = 0x0000f000
	efMIPSABI2    = 0x00000020
	efMIPSNaN2008 = 0x00000400
)

// platformTable is the one table of platforms, in matrix order.
var platformTable = []PlatformFacts{
	{
		Platform: AMD64, OCIArch: "amd64",
		GlibcTriple: "x86_64-linux-gnu", MuslTriple: "x86_64-linux-musl",
		DebianArch: "amd64", Multiarch: "x86_64-linux-gnu",
		Machine: elf.EM_X86_64, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB,
		ZigArch: "x86_64", QEMU: "x86_64", CMakeProcessor: "x86_64",
		GlibcLoader: "/lib64/ld-linux-x86-64.so.2", MuslLoader: "/lib/ld-musl-x86_64.so.1",
	},
	{
		Platform: ARM64, OCIArch: "arm64",
		GlibcTriple: "aarch64-linux-gnu", MuslTriple: "aarch64-linux-musl",
		DebianArch: "arm64", Multiarch: "aarch64-linux-gnu",
		Machine: elf.EM_AARCH64, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB,
		ZigArch: "aarch64", QEMU: "aarch64", CMakeProcessor: "aarch64",
		GlibcLoader: "/lib/ld-linux-aarch64.so.1", MuslLoader: "/lib/ld-musl-aarch64.so.1",
	},
	{
		Platform: ARMv7, OCIArch: "arm", OCIVariant: "v7",
		GlibcTriple: "arm-linux-gnueabihf", MuslTriple: "arm-linux-musleabihf",
		DebianArch: "armhf", Multiarch: "arm-linux-gnueabihf",
		Machine: elf.EM_ARM, Class: elf.ELFCLASS32, Data: elf.ELFDATA2LSB,
		FlagsMask: efARMEABIMask | efARMABIFloatHard, Flags: efARMEABIVer5 | efARMABIFloatHard,
		ABI:     "ARM EABI5 hard-float",
		ZigArch: "arm", QEMU: "arm", CMakeProcessor: "arm",
		GlibcLoader: "/lib/ld-linux-armhf.so.3", MuslLoader: "/lib/ld-musl-armhf.so.1",
	},
	{
		Platform: RISCV64, OCIArch: "riscv64",
		GlibcTriple: "riscv64-linux-gnu", MuslTriple: "riscv64-linux-musl",
		DebianArch: "riscv64", Multiarch: "riscv64-linux-gnu",
		Machine: elf.EM_RISCV, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB,
		FlagsMask: efRISCVFloatABIMask, Flags: efRISCVFloatABIDouble,
		ABI:     "RISC-V lp64d",
		ZigArch: "riscv64", QEMU: "riscv64", CMakeProcessor: "riscv64",
		GlibcLoader: "/lib/ld-linux-riscv64-lp64d.so.1", MuslLoader: "/lib/ld-musl-riscv64.so.1",
	},
	{
		Platform: I386, OCIArch: "386",
		GlibcTriple: "i686-linux-gnu", MuslTriple: "i686-linux-musl",
		DebianArch: "i386", Multiarch: "i386-linux-gnu",
		Machine: elf.EM_386, Class: elf.ELFCLASS32, Data: elf.ELFDATA2LSB,
		ZigArch: "x86", QEMU: "i386", CMakeProcessor: "i686",
		GlibcLoader: "/lib/ld-linux.so.2", MuslLoader: "/lib/ld-musl-i386.so.1",
		NativeOn: []string{"amd64"},
	},
	{
		// Debian's armel (ARMv5TE, EABI5 soft-float) runs on ARMv6 CPUs;
		// armhf is built for ARMv7.
		Platform: ARMv6, OCIArch: "arm", OCIVariant: "v6",
		GlibcTriple: "arm-linux-gnueabi", MuslTriple: "arm-linux-musleabi",
		DebianArch: "armel", Multiarch: "arm-linux-gnueabi",
		Machine: elf.EM_ARM, Class: elf.ELFCLASS32, Data: elf.ELFDATA2LSB,
		FlagsMask: efARMEABIMask | efARMABIFloatHard, Flags: efARMEABIVer5,
		ABI:     "ARM EABI5 soft-float",
		ZigArch: "arm", QEMU: "arm", QEMUCPU: "arm1176", CMakeProcessor: "arm",
		GlibcLoader: "/lib/ld-linux.so.3", MuslLoader: "/lib/ld-musl-arm.so.1",
	},
	{
		Platform: PPC64LE, OCIArch: "ppc64le",
		GlibcTriple: "powerpc64le-linux-gnu", MuslTriple: "powerpc64le-linux-musl",
		DebianArch: "ppc64el", Multiarch: "powerpc64le-linux-gnu",
		Machine: elf.EM_PPC64, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB,
		FlagsMask: efPPC64ABIMask, Flags: efPPC64ABIv2,
		ABI:     "ELFv2",
		ZigArch: "powerpc64le", QEMU: "ppc64le", CMakeProcessor: "ppc64le",
		GlibcLoader: "/lib64/ld64.so.2", MuslLoader: "/lib/ld-musl-powerpc64le.so.1",
	},
	{
		Platform: S390X, OCIArch: "s390x",
		GlibcTriple: "s390x-linux-gnu", MuslTriple: "s390x-linux-musl",
		DebianArch: "s390x", Multiarch: "s390x-linux-gnu",
		Machine: elf.EM_S390, Class: elf.ELFCLASS64, Data: elf.ELFDATA2MSB,
		ZigArch: "s390x", QEMU: "s390x", CMakeProcessor: "s390x",
		GlibcLoader: "/lib/ld64.so.1", MuslLoader: "/lib/ld-musl-s390x.so.1",
	},
	{
		Platform: MIPS64LE, OCIArch: "mips64le",
		GlibcTriple: "mips64el-linux-gnuabi64", MuslTriple: "mips64el-linux-musl",
		DebianArch: "mips64el", Multiarch: "mips64el-linux-gnuabi64",
		Machine: elf.EM_MIPS, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB,
		FlagsMask: efMIPSABIMask | efMIPSABI2 | efMIPSNaN2008, Flags: 0,
		ABI:     "MIPS n64, legacy NaN",
		ZigArch: "mips64el", QEMU: "mips64el", CMakeProcessor: "mips64el",
		GlibcLoader: "/lib64/ld.so.1", MuslLoader: "/lib/ld-musl-mips64el.so.1",
	},
}

// platformsOf lists the platforms of the rows, in matrix order.
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

// ELFMismatch says how an ELF header (machine, class, byte order and
// e_flags) differs from those of the platform's programs and libraries,
// or "" when it does not: what the kernel and the loader check before
// they run or load a file.
func (f PlatformFacts) ELFMismatch(m elf.Machine, c elf.Class, d elf.Data, flags uint32) string {
	if m != f.Machine || c != f.Class || d != f.Data {
		return fmt.Sprintf("%v %v %v, %s needs %v %v %v", m, c, d, f.Platform, f.Machine, f.Class, f.Data)
	}
	if flags&f.FlagsMask != f.Flags {
		return fmt.Sprintf("e_flags %#x (masked with %#x: %#x), %s needs %#x (%s)", flags, f.FlagsMask, flags&f.FlagsMask, f.Platform, f.Flags, f.ABI)
	}
	return ""
}

// PlatformOfELF is the platform whose programs have this ELF header
// (ELFMismatch is ""): linux/arm/v7 and linux/arm/v6 differ in their
// float ABI bits.
func PlatformOfELF(m elf.Machine, c elf.Class, d elf.Data, flags uint32) (PlatformFacts, bool) {
	return FindPlatform(func(f PlatformFacts) bool { return f.ELFMismatch(m, c, d, flags) == "" })
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
