package elfdeps

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
)

// NotProgramError says what a file is when a program was expected: not an
// ELF file, a relocatable object, a shared library, a core dump.
type NotProgramError struct {
	Path string
	What string // e.g. "is a relocatable object file (ET_REL, a .o): link it into a program first"
}

func (e *NotProgramError) Error() string { return e.Path + " " + e.What }

// Program is InspectFile for a file that must be a program the kernel can
// start: an ELF file that ProgramError accepts. Anything else gives a
// *NotProgramError that says what the file is, for instance
// "/etc/passwd is not an ELF file (it starts with "root:x:0:0:root:"): give a compiled program".
func Program(path string) (*Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading program %s: %w", path, err)
	}
	defer f.Close()
	var head [64]byte
	n, err := io.ReadFull(f, head[:])
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("reading program %s: %w", path, err)
	}
	if !bytes.HasPrefix(head[:n], []byte(elf.ELFMAG)) {
		return nil, &NotProgramError{Path: path, What: notELF(head[:n])}
	}
	info, err := Inspect(f)
	if err != nil {
		return nil, &NotProgramError{Path: path, What: fmt.Sprintf("is not a valid ELF file (%v)", err)}
	}
	if err := info.ProgramError(path); err != nil {
		return nil, err
	}
	return info, nil
}

// ProgramError returns nil when the ELF file at path, described by i, is a
// program, and otherwise a *NotProgramError naming path and what the file
// is. The rule, by e_type:
//
//   - ET_EXEC is a program (a static or a non-PIE dynamic executable).
//   - ET_DYN with PT_INTERP is a program: a PIE, or a library that can also
//     be run, such as glibc's libc.so.6.
//   - ET_DYN without PT_INTERP is a static-pie when the linker marked it
//     DF_1_PIE (gcc -static-pie, zig cc -static -pie), or, from linkers older
//     than that flag, when it has an entry point and no DT_SONAME. Anything
//     else is a shared library: gcc -shared writes e_entry 0, and a library
//     with an entry point has a DT_SONAME (the loader ld-linux-*.so.* is
//     one).
//   - ET_REL (an object file, a .o) and ET_CORE (a core dump) are not
//     programs, nor is any other type.
func (i *Info) ProgramError(path string) error {
	var what string
	switch i.Type {
	case elf.ET_EXEC:
		return nil
	case elf.ET_DYN:
		if i.Interp != "" || i.PIE || (i.Entry != 0 && i.SOName == "") {
			return nil
		}
		why := "without PT_INTERP, DF_1_PIE or an entry point"
		if i.SOName != "" {
			why = "with DT_SONAME " + i.SOName + " and without PT_INTERP"
		}
		what = fmt.Sprintf("is a shared library (ET_DYN %s), not a program: give the program that loads it", why)
	case elf.ET_REL:
		what = "is a relocatable object file (ET_REL, a .o): link it into a program first"
	case elf.ET_CORE:
		what = "is a core dump (ET_CORE), not a program"
	default:
		what = fmt.Sprintf("is an ELF file of type %v, not a program", i.Type)
	}
	return &NotProgramError{Path: path, What: what}
}

// notELF describes a file that does not start with the ELF magic, from its
// first bytes (up to 64): a script by its #! line, anything else by its
// first 16 bytes.
func notELF(head []byte) string {
	switch {
	case len(head) == 0:
		return "is empty, not an ELF program"
	case bytes.HasPrefix(head, []byte("#!")):
		line, _, _ := bytes.Cut(head, []byte("\n"))
		return fmt.Sprintf("is a script (%s), not an ELF program: a scratch image has no interpreter for it", line)
	case bytes.HasPrefix(head, []byte("!<arch>\n")):
		return "is an ar archive (a static library, a .a), not a program: link it into a program first"
	}
	if len(head) > 16 {
		head = head[:16]
	}
	return fmt.Sprintf("is not an ELF file (it starts with %q): give a compiled program", head)
}
