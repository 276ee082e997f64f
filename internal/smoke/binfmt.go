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
// qemu-arm and qemu-riscv64) from qemu-user-static's binfmt.d files where they are missing, and
// enables them where they are disabled. Calling it again changes nothing.
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
		if err := ensureEntry(entry); err != nil {
			return err
		}
	}
	return nil
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
