package smoke

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/fromscratch/fromscratch/internal/spell"
)

// binfmtConfDir holds qemu-user-static's registrations (Debian: qemu-aarch64.conf, ...).
var binfmtConfDir = "/usr/lib/binfmt.d"

// RegisterBinfmt makes foreign platforms runnable: as root it mounts binfmt_misc if needed and
// registers the qemu entry of every platform foreign to this host (on amd64: qemu-aarch64,
// qemu-arm, qemu-riscv64, qemu-ppc64le, qemu-s390x, qemu-mips64el, and qemu-i386 when the kernel
// cannot run i386 programs itself) from qemu-user-static's binfmt.d files (or builtinRules)
// where they are missing, and enables them where they are disabled. Calling it again changes
// nothing.
func RegisterBinfmt() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("registering binfmt_misc handlers needs root (run `%s` as root)", spell.Command("setup"))
	}
	if _, err := os.Stat(filepath.Join(binfmtDir, "register")); err != nil {
		if err := syscall.Mount("binfmt_misc", binfmtDir, "binfmt_misc", 0, ""); err != nil {
			return fmt.Errorf("mounting binfmt_misc at %s: %w", binfmtDir, err)
		}
	}
	entries := make([]string, 0, len(qemuEntries))
	for _, e := range qemuEntries {
		entries = append(entries, e)
	}
	sort.Strings(entries)
	for _, entry := range entries {
		if arch := archOf(entry); mayRunNatively(arch) && nativeRuns(arch) {
			continue // the kernel runs it (or a handler registered before does)
		}
		if err := ensureEntry(entry); err != nil {
			return err
		}
	}
	return nil
}

// archOf is the OCI architecture qemuEntries maps to entry.
func archOf(entry string) string {
	for arch, e := range qemuEntries {
		if e == entry {
			return arch
		}
	}
	return ""
}

// builtinRules are the binfmt_misc rules of entries Debian's qemu-user-static ships no
// binfmt.d file for: qemu-i386 on amd64, where Debian expects the kernel to run i386
// programs natively (not every kernel does: CONFIG_IA32_EMULATION, ia32_emulation=0). The
// magic and mask are qemu's own (scripts/qemu-binfmt-conf.sh); F opens the interpreter at
// registration, so containers need not see it.
var builtinRules = map[string]string{
	"qemu-i386": `:qemu-i386:M::\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00:` +
		`\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-i386-static:F`,
}

// ensureEntry registers entry from binfmtConfDir unless it exists, and enables it.
func ensureEntry(entry string) error {
	path := filepath.Join(binfmtDir, entry)
	enabled, _, err := readEntry(path)
	if err == nil {
		if enabled {
			return nil
		}
		if err := os.WriteFile(path, []byte("1"), 0); err != nil {
			return fmt.Errorf("enabling %s: %w", path, err)
		}
		return nil
	}
	if !os.IsNotExist(err) {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	conf := filepath.Join(binfmtConfDir, entry+".conf")
	data, err := os.ReadFile(conf)
	if rule, ok := builtinRules[entry]; ok && os.IsNotExist(err) {
		conf, data, err = "fromscratch's built-in rule", []byte(rule), nil
	}
	if os.IsNotExist(err) {
		return fmt.Errorf("registering %s: %s is missing (apt-get install qemu-user-static)", entry, conf)
	}
	if err != nil {
		return fmt.Errorf("registering %s: %w", entry, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		if err := register(line); err != nil {
			return fmt.Errorf("registering %s from %s: %w", entry, conf, err)
		}
	}
	return nil
}

// register writes one ":name:type:offset:magic:mask:interpreter:flags" rule to binfmt_misc. A
// rule that another process registered meanwhile (EEXIST) is not an error.
func register(rule string) error {
	f, err := os.OpenFile(filepath.Join(binfmtDir, "register"), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, werr := f.Write([]byte(rule))
	cerr := f.Close()
	if errors.Is(werr, syscall.EEXIST) {
		return nil
	}
	if werr != nil {
		if errors.Is(werr, syscall.ENOENT) {
			return fmt.Errorf("the interpreter in %q does not exist: %w", rule, werr)
		}
		return werr
	}
	return cerr
}
