package smoke

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/spell"
)

// binfmtDir is where binfmt_misc is mounted; tests point it at a temp dir.
var binfmtDir = "/proc/sys/fs/binfmt_misc"

// qemuEntries maps the OCI architecture of each platform foreign to this host to the binfmt_misc
// entry that runs it under qemu-user-static. The names are those of Debian's
// /usr/lib/binfmt.d/qemu-*.conf; the host's own architecture needs none (and Debian ships none).
// A platform the host's kernel may run natively (recipe.PlatformFacts.NativeOn: 386 on amd64)
// has an entry too, used only when the kernel cannot (see nativeRuns).
var qemuEntries = foreignEntries(runtime.GOARCH)

func foreignEntries(host string) map[string]string {
	entries := map[string]string{}
	for _, p := range recipe.Platforms {
		if f, _ := p.Facts(); f.OCIArch != host {
			entries[f.OCIArch] = "qemu-" + f.QEMU
		}
	}
	return entries
}

// mayRunNatively reports whether this host's kernel may run arch's programs without qemu.
func mayRunNatively(arch string) bool {
	f, ok := recipe.FindPlatform(func(f recipe.PlatformFacts) bool { return f.OCIArch == arch })
	return ok && slices.Contains(f.NativeOn, runtime.GOARCH)
}

// QEMUCPU is the CPU qemu must emulate for platform's programs ("arm1176" for linux/arm/v6), or
// "" for qemu's default. Engines pass it as QEMU_CPU in the program's environment, which
// qemu-user reads, so a program using instructions the platform's CPUs lack dies of SIGILL.
func QEMUCPU(platform string) string {
	f, _ := recipe.Platform(platform).Facts()
	return f.QEMUCPU
}

// CanRun reports whether this machine can run programs for platform ("linux/arm/v7"): natively,
// or through an enabled binfmt_misc entry for qemu with the F flag (so that the interpreter is
// found from inside a container's root filesystem). If not, the reason says what is missing and
// how to fix it.
func CanRun(platform string) (bool, string) {
	parts := strings.Split(platform, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != "linux" {
		return false, fmt.Sprintf("unsupported platform %q (want linux/ARCH[/VARIANT])", platform)
	}
	if runtime.GOOS != "linux" {
		return false, fmt.Sprintf("cannot run %s containers on %s", platform, runtime.GOOS)
	}
	arch := parts[1]
	if arch == runtime.GOARCH {
		return true, ""
	}
	if mayRunNatively(arch) && nativeRuns(arch) {
		return true, ""
	}
	entry, ok := qemuEntries[arch]
	if !ok {
		return false, fmt.Sprintf("cannot run %s on a %s host: no emulator is known for %s", platform, runtime.GOARCH, arch)
	}
	return binfmtReady(platform, entry)
}

// binfmtReady checks that binfmtDir holds an enabled entry with the F flag.
func binfmtReady(platform, entry string) (bool, string) {
	fix := fmt.Sprintf("install qemu-user-static and run `%s` to register %s", spell.Command("setup"), entry)
	if _, err := os.Stat(filepath.Join(binfmtDir, "register")); err != nil {
		return false, fmt.Sprintf("no binfmt handler for %s: binfmt_misc is not mounted at %s (%s)", platform, binfmtDir, fix)
	}
	if status, err := os.ReadFile(filepath.Join(binfmtDir, "status")); err == nil && strings.TrimSpace(string(status)) != "enabled" {
		return false, fmt.Sprintf("no binfmt handler for %s: binfmt_misc is disabled (echo 1 > %s/status)", platform, binfmtDir)
	}
	path := filepath.Join(binfmtDir, entry)
	enabled, flags, err := readEntry(path)
	switch {
	case os.IsNotExist(err):
		return false, fmt.Sprintf("no binfmt handler for %s: %s is not registered (%s)", platform, path, fix)
	case err != nil:
		return false, fmt.Sprintf("no binfmt handler for %s: reading %s: %v", platform, path, err)
	case !enabled:
		return false, fmt.Sprintf("no binfmt handler for %s: %s is disabled (echo 1 > %s)", platform, entry, path)
	case !strings.Contains(flags, "F"):
		return false, fmt.Sprintf("no usable binfmt handler for %s: %s lacks the F flag, so containers cannot see its interpreter (unregister it with echo -1 > %s, then run `%s`)", platform, entry, path, spell.Command("setup"))
	}
	return true, ""
}

// readEntry reads a binfmt_misc entry: its first line is "enabled" or "disabled", and a line
// "flags: POF" lists its flags.
func readEntry(path string) (enabled bool, flags string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return false, "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		line := strings.TrimSpace(sc.Text())
		if first {
			enabled = line == "enabled"
		}
		if v, ok := strings.CutPrefix(line, "flags:"); ok {
			flags = strings.TrimSpace(v)
		}
	}
	return enabled, flags, sc.Err()
}
