package smoke

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestCanRunNative(t *testing.T) {
	if ok, why := CanRun("linux/" + runtime.GOARCH); !ok {
		t.Errorf("CanRun(linux/%s) = false (%s), want true on a %s host", runtime.GOARCH, why, runtime.GOARCH)
	}
	if runtime.GOARCH == "amd64" {
		// An amd64 host may or may not run 386 programs itself: CanRun
		// asks the kernel, and else wants the qemu-i386 handler.
		if ok, why := CanRun("linux/386"); ok != nativeRuns("386") || (!ok && !strings.Contains(why, "qemu-i386")) {
			t.Errorf("CanRun(linux/386) = %v, %q; the probe runs: %v", ok, why, nativeRuns("386"))
		}
	}
	for _, bad := range []string{"", "linux", "windows/amd64", "linux/arm/v7/x"} {
		if ok, why := CanRun(bad); ok || why == "" {
			t.Errorf("CanRun(%q) = %v, %q; want false with a reason", bad, ok, why)
		}
	}
}

// fakeBinfmt points binfmtDir at a temp dir holding a register file and the given entries
// (name -> content) for the rest of t.
func fakeBinfmt(t *testing.T, entries map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	entries["register"] = ""
	if _, ok := entries["status"]; !ok {
		entries["status"] = "enabled\n"
	}
	for name, content := range entries {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := binfmtDir
	binfmtDir = dir
	t.Cleanup(func() { binfmtDir = old })
	return dir
}

// entry is a binfmt_misc entry as the kernel shows it.
func entry(state, flags string) string {
	return state + "\ninterpreter /usr/libexec/qemu-binfmt/x-binfmt-P\nflags: " + flags + "\noffset 0\nmagic 7f454c46\n"
}

func TestCanRunBinfmt(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skipf("the fake entries stand for foreign platforms of an amd64 host, not %s", runtime.GOARCH)
	}
	fakeBinfmt(t, map[string]string{
		"qemu-aarch64": entry("enabled", "POF"),
		"qemu-arm":     entry("disabled", "POF"),
		"qemu-riscv64": entry("enabled", "P"), // no F: a container cannot see the interpreter
	})
	tests := []struct {
		platform string
		ok       bool
		reason   []string
	}{
		{"linux/arm64", true, nil},
		{"linux/arm/v7", false, []string{"linux/arm/v7", "qemu-arm is disabled"}},
		{"linux/riscv64", false, []string{"linux/riscv64", "F flag", "go tool mage setup"}},
	}
	for _, tt := range tests {
		ok, why := CanRun(tt.platform)
		if ok != tt.ok {
			t.Errorf("CanRun(%s) = %v (%s), want %v", tt.platform, ok, why, tt.ok)
		}
		for _, r := range tt.reason {
			if !strings.Contains(why, r) {
				t.Errorf("CanRun(%s) reason %q does not mention %q", tt.platform, why, r)
			}
		}
	}
}

func TestCanRunMissingBinfmt(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skipf("the fake entries stand for foreign platforms of an amd64 host, not %s", runtime.GOARCH)
	}
	dir := fakeBinfmt(t, map[string]string{"qemu-aarch64": entry("enabled", "POF")})
	ok, why := CanRun("linux/riscv64")
	if ok {
		t.Fatal("CanRun(linux/riscv64) = true without a qemu-riscv64 entry")
	}
	for _, r := range []string{"no binfmt handler for linux/riscv64", filepath.Join(dir, "qemu-riscv64"), "qemu-user-static", "go tool mage setup"} {
		if !strings.Contains(why, r) {
			t.Errorf("reason %q does not mention %q", why, r)
		}
	}

	// Run skips it, whatever the engine would have said.
	s := Spec{Name: "hi linux/riscv64", Platform: "linux/riscv64"}
	res := Run(context.Background(), mustNotRun{t}, s, Equal("", 0))
	if res.Status != StatusSkipped || res.Reason != why || res.Engine != "" {
		t.Errorf("Run = %+v, want skipped with reason %q and no engine", res, why)
	}

	if err := os.Remove(filepath.Join(dir, "register")); err != nil {
		t.Fatal(err)
	}
	if ok, why := CanRun("linux/arm64"); ok || !strings.Contains(why, "not mounted") {
		t.Errorf("CanRun(linux/arm64) without binfmt_misc mounted = %v, %q; want false, not mounted", ok, why)
	}
}

// mustNotRun is an engine that fails the test if it is asked to run anything.
type mustNotRun struct{ t *testing.T }

func (mustNotRun) Name() string { return "must-not-run" }

func (mustNotRun) Cleanup(context.Context) error { return nil }

func (e mustNotRun) Run(context.Context, Spec, io.Writer, io.Writer) (int, error) {
	e.t.Error("the engine ran a spec that should have been skipped")
	return 0, nil
}
