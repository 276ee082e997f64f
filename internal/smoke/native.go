package smoke

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// nativeRuns reports whether this machine runs a tiny program of arch (only "386" is known:
// the platforms of recipe.PlatformFacts.NativeOn) by executing it: natively when the kernel
// can, or through a binfmt_misc handler registered before. A success is remembered; a failure
// is not, since RegisterBinfmt may register a handler.
func nativeRuns(arch string) bool {
	native.mu.Lock()
	defer native.mu.Unlock()
	if native.ok[arch] {
		return true
	}
	prog := probes[arch]
	if prog == nil {
		return false
	}
	dir, err := os.MkdirTemp("", "fromscratch-probe-")
	if err != nil {
		return false
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "exit0")
	if err := os.WriteFile(path, prog, 0o755); err != nil {
		return false
	}
	if exec.Command(path).Run() != nil {
		return false
	}
	if native.ok == nil {
		native.ok = map[string]bool{}
	}
	native.ok[arch] = true
	return true
}

var native struct {
	mu sync.Mutex
	ok map[string]bool
}

// probes are programs that exit with status 0, by OCI architecture.
var probes = map[string][]byte{"386": i386Exit0()}

// i386Exit0 is a 93-byte static i386 ELF program: one PT_LOAD of the
// whole file at 0x08048000, whose code is exit(0) through int 0x80.
func i386Exit0() []byte {
	const base, ehsize, phsize = 0x08048000, 52, 32
	code := []byte{
		0xb8, 0x01, 0x00, 0x00, 0x00, // mov eax, 1 (exit)
		0x31, 0xdb, // xor ebx, ebx
		0xcd, 0x80, // int 0x80
	}
	size := uint32(ehsize + phsize + len(code))
	le := binary.LittleEndian
	b := []byte{0x7f, 'E', 'L', 'F', 1 /* ELFCLASS32 */, 1 /* LSB */, 1 /* EV_CURRENT */, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	b = le.AppendUint16(b, 2)                  // e_type ET_EXEC
	b = le.AppendUint16(b, 3)                  // e_machine EM_386
	b = le.AppendUint32(b, 1)                  // e_version
	b = le.AppendUint32(b, base+ehsize+phsize) // e_entry
	b = le.AppendUint32(b, ehsize)             // e_phoff
	b = le.AppendUint32(b, 0)                  // e_shoff
	b = le.AppendUint32(b, 0)                  // e_flags
	b = le.AppendUint16(b, ehsize)             // e_ehsize
	b = le.AppendUint16(b, phsize)             // e_phentsize
	b = le.AppendUint16(b, 1)                  // e_phnum
	b = le.AppendUint16(b, 0)                  // e_shentsize
	b = le.AppendUint16(b, 0)                  // e_shnum
	b = le.AppendUint16(b, 0)                  // e_shstrndx
	b = le.AppendUint32(b, 1)                  // p_type PT_LOAD
	b = le.AppendUint32(b, 0)                  // p_offset
	b = le.AppendUint32(b, base)               // p_vaddr
	b = le.AppendUint32(b, base)               // p_paddr
	b = le.AppendUint32(b, size)               // p_filesz
	b = le.AppendUint32(b, size)               // p_memsz
	b = le.AppendUint32(b, 5)                  // p_flags R+X
	b = le.AppendUint32(b, 0x1000)             // p_align
	return append(b, code...)
}
