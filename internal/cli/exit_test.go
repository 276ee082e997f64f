package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/spell"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// A size-gate violation has its own exit code, under mage (which asserts
// ExitStatus on the target's error itself) and cmd/fromscratch alike; a
// missing file stays 1.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, binary int64) string {
		p := filepath.Join(dir, name)
		b, _ := json.Marshal(matrix.Matrix{SchemaVersion: matrix.SchemaVersion, Rows: []matrix.Row{{
			Recipe: "hello", Platform: "linux/amd64", Toolchain: "gcc", Linkage: "static",
			Status: matrix.StatusBuilt, Sizes: matrix.Sizes{Binary: binary, ImageDocker: 2000}}}})
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	old, grown := write("old.json", 1000), write("new.json", 1200)
	c, _, _ := testCLI(t, repoRoot(t))

	err := c.DiffMatrix(t.Context(), old, grown)
	status, ok := err.(interface{ ExitStatus() int }) // as mage's generated main does
	if !ok || status.ExitStatus() != ExitSizeGate || ExitCode(err) != ExitSizeGate {
		t.Errorf("gate violation: %T %v, want an error with ExitStatus %d", err, err, ExitSizeGate)
	}
	err = c.DiffMatrix(t.Context(), filepath.Join(dir, "missing.json"), grown)
	if err == nil || ExitCode(err) != ExitFailure {
		t.Errorf("missing file: %v (exit %d), want exit %d", err, ExitCode(err), ExitFailure)
	}
	for err, want := range map[error]int{
		nil:                           ExitOK,
		errors.New("x"):               ExitFailure,
		usageError{errors.New("bad")}: ExitUsage,
		fmt.Errorf("wrapped: %w", &ExitError{Code: ExitSizeGate, Err: errors.New("grew")}): ExitSizeGate,
	} {
		if got := ExitCode(err); got != want {
			t.Errorf("ExitCode(%v) = %d, want %d", err, got, want)
		}
	}
}

// image:history explains a cell without an image from out/matrix.json.
func TestHistoryOfACellWithoutImage(t *testing.T) {
	c, _, cfg := testCLI(t, repoRoot(t))
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		t.Fatal(err)
	}
	err := c.History(t.Context(), "hello:gcc-static-amd64")
	if err == nil || !strings.Contains(err.Error(), "build:all first") {
		t.Errorf("no matrix: %v, want a hint to build first", err)
	}
	m := &matrix.Matrix{SchemaVersion: matrix.SchemaVersion, Rows: []matrix.Row{
		{Recipe: "cppcontainers", Platform: "linux/arm64", Toolchain: "musl-gcc", Linkage: "static",
			Status: matrix.StatusNotApplicable, Reason: "musl-gcc has no C++ standard library"},
		{Recipe: "hello", Platform: "linux/riscv64", Toolchain: "zig", Linkage: "dynamic",
			Status: matrix.StatusFailed, Reason: "compile: exit status 1: main.c: In function 'main':\nmain.c:3: error: boom\n (log: out/bin/x/build.log)"},
		{Recipe: "hello", Platform: "linux/arm/v7", Toolchain: "gcc", Linkage: "static",
			Status: matrix.StatusUnavailable, Reason: "arm-linux-gnueabihf-gcc not found"},
	}}
	if err := matrix.WriteAll(cfg.OutDir, m); err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string][]string{
		"cppcontainers:musl-gcc-static-arm64": {"not applicable", "no C++ standard library"},
		"hello:zig-dynamic-riscv64":           {"failed", "error: boom", "build.log"},
		"hello:gcc-static-arm-v7":             {"unavailable", "arm-linux-gnueabihf-gcc not found"},
		"hello:gcc-static-amd64":              {"no such cell", spell.Command("build:recipe") + " hello builds"}, // as its user runs it
	} {
		err := c.History(t.Context(), ref)
		if err == nil {
			t.Errorf("%s: no error", ref)
			continue
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v, want it to say %q", ref, err, w)
			}
		}
		if strings.Contains(err.Error(), "build:all first") && ref != "hello:gcc-static-amd64" {
			t.Errorf("%s: %v still says to build first", ref, err)
		}
	}
}

func TestCommitID(t *testing.T) {
	for in, want := range map[string]string{
		"0123456789abcdef0123456789abcdef01234567\n": "0123456789abcdef0123456789abcdef01234567",
		"fatal: not a git repository\n":              "",
		"":                                           "",
		"0123456789ABCDEF0123456789abcdef01234567": "",
	} {
		if got := workspace.CommitID(in); got != want {
			t.Errorf("workspace.CommitID(%q) = %q, want %q", in, got, want)
		}
	}
}

// In a git checkout the images name the commit; elsewhere nothing, and no
// error.
func TestRevision(t *testing.T) {
	c, _, cfg := testCLI(t, repoRoot(t))
	if _, err := os.Stat(filepath.Join(cfg.Root, ".git")); err == nil {
		if got := revision(t.Context(), c.run, cfg); workspace.CommitID(got) == "" {
			t.Errorf("revision of the repository = %q, want a commit id", got)
		}
	}
	cfg.Root = t.TempDir()
	if got := revision(t.Context(), c.run, cfg); got != "" {
		t.Errorf("revision outside a checkout = %q, want empty", got)
	}
}
