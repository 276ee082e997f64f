package smoke

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/fromscratch/fromscratch/internal/testutil"
)

// The probe is a well-formed i386 program that exits with 0, checked
// with debug/elf and, where qemu-i386-static is installed, by running it
// under qemu whatever the kernel can do.
func TestI386Probe(t *testing.T) {
	prog := i386Exit0()
	f, err := elf.NewFile(bytes.NewReader(prog))
	if err != nil {
		t.Fatal(err)
	}
	if f.Machine != elf.EM_386 || f.Class != elf.ELFCLASS32 || f.Type != elf.ET_EXEC || len(f.Progs) != 1 || f.Progs[0].Filesz != uint64(len(prog)) {
		t.Errorf("probe is %v %v %v with %d segments", f.Machine, f.Class, f.Type, len(f.Progs))
	}
	qemu, err := exec.LookPath("qemu-i386-static")
	if err != nil {
		testutil.Missing(t, "qemu-i386-static is not installed (apt-get install qemu-user-static)")
	}
	path := filepath.Join(t.TempDir(), "exit0")
	if err := os.WriteFile(path, prog, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(qemu, path).CombinedOutput(); err != nil {
		t.Errorf("qemu-i386-static exit0: %v: %s", err, out)
	}
}
