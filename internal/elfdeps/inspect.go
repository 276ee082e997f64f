package elfdeps

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// Info is what the linkage check and the size matrix need from one ELF file.
type Info struct {
	Class   elf.Class
	Machine elf.Machine
	// ByteOrder and Flags (e_flags) complete the header the platform
	// checks compare (recipe.PlatformFacts.ELFMismatch).
	ByteOrder elf.Data
	Flags     uint32
	Type      elf.Type // ET_EXEC or ET_DYN for programs and libraries; see Program
	Entry     uint64   // e_entry, 0 for most shared libraries and object files
	Interp    string   // PT_INTERP, "" if none
	Needed    []string // DT_NEEDED in order
	RPath     []string // DT_RPATH entries split on ':'
	RunPath   []string // DT_RUNPATH entries split on ':'
	SOName    string
	// PIE is DF_1_PIE in DT_FLAGS_1: the linker built a position-independent
	// executable (GNU ld since 2.33, LLD). A static-pie has it and no PT_INTERP.
	PIE bool

	// Sizes from the .text, .data and .bss section headers, 0 if absent.
	Text, Data, BSS uint64
	// Symtab is a .symtab section: the file was not stripped.
	Symtab bool
}

// Inspect reads r as an ELF file. The dynamic entries are read the way the
// loader reads them, through PT_DYNAMIC and PT_LOAD, so a file whose section
// headers were stripped still reports its NEEDED list.
func Inspect(r io.ReaderAt) (*Info, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("parsing ELF header: %w", err)
	}
	defer f.Close()
	info := &Info{Class: f.Class, Machine: f.Machine, ByteOrder: f.Data, Type: f.Type, Entry: f.Entry}
	if info.Flags, err = eFlags(r, f); err != nil {
		return nil, err
	}
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b := make([]byte, p.Filesz)
		if _, err := p.ReadAt(b, 0); err != nil {
			return nil, fmt.Errorf("reading PT_INTERP: %w", err)
		}
		info.Interp = strings.TrimRight(string(b), "\x00")
	}
	if err := readDynamic(f, info); err != nil {
		return nil, err
	}
	info.Symtab = f.Section(".symtab") != nil
	for _, s := range []struct {
		name string
		dst  *uint64
	}{{".text", &info.Text}, {".data", &info.Data}, {".bss", &info.BSS}} {
		if sec := f.Section(s.name); sec != nil {
			*s.dst = sec.Size
		}
	}
	return info, nil
}

// InspectFile is Inspect on the file at path.
func InspectFile(path string) (*Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading ELF %s: %w", path, err)
	}
	defer f.Close()
	info, err := Inspect(f)
	if err != nil {
		return nil, fmt.Errorf("reading ELF %s: %w", path, err)
	}
	return info, nil
}

// Static reports whether the file needs no loader and no libraries. A
// static-pie executable is static: it is ET_DYN with a PT_DYNAMIC segment
// but has neither PT_INTERP nor DT_NEEDED.
func (i *Info) Static() bool { return i.Interp == "" && len(i.Needed) == 0 }

// readDynamic fills the DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH and
// DT_FLAGS_1 fields from the PT_DYNAMIC segment. A file without one is left as is.
func readDynamic(f *elf.File, info *Info) error {
	var dyn *elf.Prog
	for _, p := range f.Progs {
		if p.Type == elf.PT_DYNAMIC {
			dyn = p
		}
	}
	if dyn == nil {
		return nil
	}
	b := make([]byte, dyn.Filesz)
	if _, err := dyn.ReadAt(b, 0); err != nil {
		return fmt.Errorf("reading PT_DYNAMIC: %w", err)
	}
	size := 8
	if f.Class == elf.ELFCLASS64 {
		size = 16
	}
	type entry struct {
		tag elf.DynTag
		val uint64
	}
	var entries []entry
	var strtab, strsz uint64
	for off := 0; off+size <= len(b); off += size {
		var e entry
		if size == 16 {
			e = entry{elf.DynTag(f.ByteOrder.Uint64(b[off:])), f.ByteOrder.Uint64(b[off+8:])}
		} else {
			e = entry{elf.DynTag(f.ByteOrder.Uint32(b[off:])), uint64(f.ByteOrder.Uint32(b[off+4:]))}
		}
		if e.tag == elf.DT_NULL {
			break
		}
		switch e.tag {
		case elf.DT_STRTAB:
			strtab = e.val
		case elf.DT_STRSZ:
			strsz = e.val
		case elf.DT_FLAGS_1:
			info.PIE = e.val&uint64(elf.DF_1_PIE) != 0
		case elf.DT_NEEDED, elf.DT_SONAME, elf.DT_RPATH, elf.DT_RUNPATH:
			entries = append(entries, e)
		}
	}
	if len(entries) == 0 {
		return nil
	}
	seg, err := segmentOf(f, strtab, strsz)
	if err != nil {
		return fmt.Errorf("reading the dynamic string table: %w", err)
	}
	for _, e := range entries {
		if e.val >= strsz {
			return fmt.Errorf("reading %v: string offset %d is outside the table", e.tag, e.val)
		}
		// Only the strings the entries name are read, not the whole
		// table (libstdc++'s is half a megabyte of symbol names).
		s, err := readString(seg, strtab-seg.Vaddr+e.val, strsz-e.val)
		if err != nil {
			return fmt.Errorf("reading %v: %w", e.tag, err)
		}
		switch e.tag {
		case elf.DT_NEEDED:
			info.Needed = append(info.Needed, s)
		case elf.DT_SONAME:
			info.SOName = s
		case elf.DT_RPATH:
			info.RPath = append(info.RPath, strings.Split(s, ":")...)
		case elf.DT_RUNPATH:
			info.RunPath = append(info.RunPath, strings.Split(s, ":")...)
		}
	}
	return nil
}

// segmentOf is the PT_LOAD segment that maps the n bytes at virtual
// address addr from the file.
func segmentOf(f *elf.File, addr, n uint64) (*elf.Prog, error) {
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && addr >= p.Vaddr && addr+n <= p.Vaddr+p.Filesz {
			return p, nil
		}
	}
	return nil, fmt.Errorf("no PT_LOAD segment maps %#x+%d", addr, n)
}

// readString reads the NUL-terminated string at offset off of segment p,
// of at most max bytes (the rest of its table; a string without its NUL
// ends there).
func readString(p *elf.Prog, off, max uint64) (string, error) {
	var s []byte
	buf := make([]byte, 256)
	for uint64(len(s)) < max {
		n := min(uint64(len(buf)), max-uint64(len(s)))
		if _, err := p.ReadAt(buf[:n], int64(off)+int64(len(s))); err != nil {
			return "", err
		}
		if i := bytes.IndexByte(buf[:n], 0); i >= 0 {
			return string(append(s, buf[:i]...)), nil
		}
		s = append(s, buf[:n]...)
	}
	return string(s), nil
}

// eFlags reads e_flags, which debug/elf does not expose: at 0x24 of an
// ELF32 header, at 0x30 of an ELF64 one.
func eFlags(r io.ReaderAt, f *elf.File) (uint32, error) {
	off := int64(0x24)
	if f.Class == elf.ELFCLASS64 {
		off = 0x30
	}
	var b [4]byte
	if _, err := r.ReadAt(b[:], off); err != nil {
		return 0, fmt.Errorf("reading e_flags: %w", err)
	}
	return f.ByteOrder.Uint32(b[:]), nil
}

// MachineFor maps an OCI platform to the ELF machine and class its binaries
// have, from the platform table (recipe.PlatformFacts).
func MachineFor(platform string) (elf.Machine, elf.Class, error) {
	f, err := FactsFor(platform)
	return f.Machine, f.Class, err
}

// FactsFor is the platform table's row of an OCI platform.
func FactsFor(platform string) (recipe.PlatformFacts, error) {
	f, ok := recipe.Platform(platform).Facts()
	if !ok {
		return f, fmt.Errorf("mapping platform %q to an ELF machine: %w", platform, errors.ErrUnsupported)
	}
	return f, nil
}

// CheckPlatform says how info's header (machine, class, byte order,
// ABI flags) differs from the programs of platform f, or nil.
func CheckPlatform(info *Info, f recipe.PlatformFacts) error {
	if why := f.ELFMismatch(info.Machine, info.Class, info.ByteOrder, info.Flags); why != "" {
		return errors.New("ELF is " + why)
	}
	return nil
}

// isELF reports whether the file at path starts with the ELF magic.
func isELF(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return false, nil
		}
		return false, err
	}
	return string(magic[:]) == elf.ELFMAG, nil
}
