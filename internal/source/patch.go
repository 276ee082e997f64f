package source

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Run starts argv in dir and returns its combined output; the engine
// passes a toolchain.Runner with the explicit environment, tests the real
// thing too. This package starts no process itself.
type Run func(ctx context.Context, dir string, argv []string) ([]byte, error)

// Patch is one patch file to apply to a tree.
type Patch struct {
	Name  string // as the error shows it: "recipes/jq/fix.patch", "debian/patches/x.diff"
	Path  string // where it is
	Strip int    // -p
}

// PatchError is a patch that does not apply.
type PatchError struct {
	Patch  string
	Output string // patch's output
	Err    error
}

func (e *PatchError) Error() string {
	return fmt.Sprintf("applying %s: %v: %s", e.Patch, e.Err, strings.TrimSpace(e.Output))
}

func (e *PatchError) Unwrap() error { return e.Err }

// PatchArgs is the command that applies p inside a tree: GNU patch, batch
// mode (no questions), forward only (an already applied patch is an
// error, not a reversal), no backup or reject files left in the tree.
func PatchArgs(p Patch) []string {
	return []string{"patch", fmt.Sprintf("-p%d", p.Strip), "--batch", "--forward",
		"--no-backup-if-mismatch", "--reject-file=-", "--quiet", "-i", p.Path}
}

// ApplyPatches applies patches to the tree at dir in order, stopping at the
// first that fails with a *PatchError naming it.
func ApplyPatches(ctx context.Context, run Run, dir string, patches []Patch) error {
	for _, p := range patches {
		out, err := run(ctx, dir, PatchArgs(p))
		if err != nil {
			return &PatchError{Patch: p.Name, Output: string(out), Err: err}
		}
	}
	return nil
}

// QuiltSeries reads debian/patches/series of the tree at dir: the patches
// in order, each with its -p level (1 unless the line says otherwise).
// Blank lines and comments (#) are skipped; a tree without a series has no
// patches.
func QuiltSeries(dir string) ([]Patch, error) {
	patchDir := filepath.Join(dir, "debian", "patches")
	data, err := os.ReadFile(filepath.Join(patchDir, "series"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading debian/patches/series: %w", err)
	}
	var out []Patch
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		p := Patch{Name: "debian/patches/" + f[0], Path: filepath.Join(patchDir, filepath.FromSlash(f[0])), Strip: 1}
		if !filepath.IsLocal(filepath.FromSlash(f[0])) {
			return nil, fmt.Errorf("debian/patches/series line %d: %q is outside debian/patches", n, f[0])
		}
		for _, opt := range f[1:] {
			if _, err := fmt.Sscanf(opt, "-p%d", &p.Strip); err != nil {
				return nil, fmt.Errorf("debian/patches/series line %d: option %q (allowed: -pN)", n, opt)
			}
		}
		out = append(out, p)
	}
	return out, sc.Err()
}
