package source

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fromscratch/fromscratch/internal/recipe"
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
	// Failed names what did not apply, one line each ("x.c: hunk #1
	// (@@ -2,3 +2,3 @@) does not apply at line 2"), read from Output and
	// the patch file; empty when patch said nothing this package reads.
	Failed []string
}

func (e *PatchError) Error() string {
	if len(e.Failed) > 0 {
		return fmt.Sprintf("applying %s: %s (patch: %v)", e.Patch, strings.Join(e.Failed, "; "), e.Err)
	}
	return fmt.Sprintf("applying %s: %v: %s", e.Patch, e.Err, strings.TrimSpace(e.Output))
}

func (e *PatchError) Unwrap() error { return e.Err }

// PatchArgs is the command that applies p inside a tree: GNU patch, batch
// mode (no questions), forward only (an already applied patch is an
// error, not a reversal), no backup or reject files left in the tree. It
// is not quiet: its "patching file" and "Hunk #N FAILED" lines name what
// did not apply (PatchError.Failed).
func PatchArgs(p Patch) []string {
	return []string{"patch", fmt.Sprintf("-p%d", p.Strip), "--batch", "--forward",
		"--no-backup-if-mismatch", "--reject-file=-", "-i", p.Path}
}

// ApplyPatches applies patches to the tree at dir in order, stopping at the
// first that fails with a *PatchError naming it. A patch inside the tree
// (debian/patches) is named relative to it, so that the command in the log
// holds no folder of this machine.
func ApplyPatches(ctx context.Context, run Run, dir string, patches []Patch) error {
	for _, p := range patches {
		arg := p
		if rel, err := filepath.Rel(dir, p.Path); err == nil && filepath.IsLocal(rel) {
			arg.Path = rel
		}
		out, err := run(ctx, dir, PatchArgs(arg))
		if err != nil {
			return &PatchError{Patch: p.Name, Output: string(out), Err: err, Failed: failedParts(string(out), p)}
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

// SkipPatches is series (QuiltSeries's) without the patches skip names,
// each as its series line gives it ("90_gnutls.patch"), in order. A name
// that is not in the series is a *recipe.FieldError for
// source.debian_patches_skip[i] (its File left for the caller to fill),
// with the series' closest name, or its names when none is close.
func SkipPatches(series []Patch, skip []string) ([]Patch, *recipe.FieldError) {
	names := make([]string, len(series))
	for i, p := range series {
		names[i] = strings.TrimPrefix(p.Name, "debian/patches/")
	}
	for i, s := range skip {
		if slices.Contains(names, s) {
			continue
		}
		hint := recipe.DidYouMean(s, names)
		if hint == "" && len(names) > 0 {
			hint = " (its patches: " + strings.Join(names, ", ") + ")"
		}
		if len(names) == 0 {
			hint = " (the series lists no patch)"
		}
		return nil, &recipe.FieldError{Field: fmt.Sprintf("source.debian_patches_skip[%d]", i),
			Problem: fmt.Sprintf("%q is not in debian/patches/series%s", s, hint)}
	}
	var kept []Patch
	for i, p := range series {
		if !slices.Contains(skip, names[i]) {
			kept = append(kept, p)
		}
	}
	return kept, nil
}

// failedParts names each part of p that patch's output says did not
// apply: a hunk that failed (with its @@ header from the patch file), a
// file to patch that is not in the tree, a file already patched.
func failedParts(output string, p Patch) []string {
	var out []string
	file, lines := "", strings.Split(output, "\n")
	for i, l := range lines {
		var hunk, at int
		switch {
		case strings.HasPrefix(l, "patching file "):
			file = strings.Trim(strings.TrimPrefix(l, "patching file "), "'")
		case strings.HasPrefix(l, "can't find file to patch"):
			out = append(out, "no file to patch: "+missingFile(lines[i:], p.Strip))
		case strings.HasPrefix(l, "Reversed (or previously applied) patch detected"):
			out = append(out, file+": already applied (or reversed)")
		default:
			if n, _ := fmt.Sscanf(l, "Hunk #%d FAILED at %d.", &hunk, &at); n == 2 {
				out = append(out, fmt.Sprintf("%s: hunk #%d %sdoes not apply at line %d", file, hunk, hunkHeader(p, file, hunk), at))
			}
		}
	}
	return out
}

// missingFile is the file a "can't find file to patch" message is about:
// the +++ (or ---) line of the text patch quotes after it, with -p's
// components removed, and as the patch names it.
func missingFile(lines []string, strip int) string {
	name := ""
	for _, l := range lines {
		if f, ok := strings.CutPrefix(l, "|--- "); ok && name == "" {
			name = diffName(f)
		}
		if f, ok := strings.CutPrefix(l, "|+++ "); ok {
			name = diffName(f)
			break
		}
	}
	if name == "" {
		return "(see the output in the log)"
	}
	return fmt.Sprintf("%s (%s with -p%d: check the path and the patch's -p level)", stripPath(name, strip), name, strip)
}

// hunkHeader is the @@ line of the nth hunk of file (as patch names it,
// after -p) in the patch file, and a space; "" when it cannot be read.
func hunkHeader(p Patch, file string, n int) string {
	data, err := os.ReadFile(p.Path)
	if err != nil {
		return ""
	}
	in, count := false, 0
	for _, l := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(l, "+++ "):
			in, count = stripPath(diffName(strings.TrimPrefix(l, "+++ ")), p.Strip) == file, 0
		case in && strings.HasPrefix(l, "@@ "):
			if count++; count == n {
				return "(" + strings.TrimSpace(l) + ") "
			}
		}
	}
	return ""
}

// diffName is the file name of a ---/+++ line, without its timestamp.
func diffName(s string) string {
	if i := strings.IndexByte(s, '\t'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// stripPath removes n leading components of a path, as patch -pN does.
func stripPath(name string, n int) string {
	parts := strings.Split(name, "/")
	if n >= len(parts) {
		return parts[len(parts)-1]
	}
	return strings.Join(parts[n:], "/")
}
