// Package outdir is out/, the folder fromscratch writes: where each output
// lives in it (Path), the marker that says fromscratch made it, the lock
// that keeps two runs from writing it at once, and the sweep of what a
// killed run left.
package outdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/shard"
)

// Path is an output folder (out/, or a shard's, or a release inside one);
// its methods name every path in it.
type Path string

// The folders fromscratch writes directly in out/.
const (
	binDir     = "bin"
	dockerDir  = "docker"
	ociDir     = "oci"
	imagesDir  = "images"
	releaseDir = "release"
	wrapDir    = "wrap"
	reproDir   = "repro"
	sbomDir    = "sbom"
)

// The two entries of an image:wrap folder (Path.Wrap).
const (
	WrapLayout  = "oci"
	WrapArchive = "image.tar"
)

// TempMark is in the name of every temporary file or folder written in
// out/, so that what a killed run left can be found and removed (Lock
// sweeps them).
const TempMark = ".tmp-"

// RunState reports whether path, in out/, is a run's state rather than
// one of its outputs: the lock file, or a temporary (its name carries
// TempMark). What a build leaves is the rest.
func (p Path) RunState(path string) bool {
	return path == filepath.Join(string(p), LockFile) || strings.Contains(filepath.Base(path), TempMark)
}

// Merged are the entries of out/ that a build writes, release included:
// what matrix:merge replaces whole.
var Merged = slices.Concat([]string{binDir, dockerDir, ociDir, imagesDir, releaseDir}, matrix.Files, []string{shard.ManifestFile})

// entries are the names fromscratch writes directly in out/.
var entries = slices.Concat([]string{binDir, dockerDir, ociDir, imagesDir, wrapDir, releaseDir, reproDir}, matrix.Files,
	[]string{shard.ManifestFile, LockFile, MarkerFile})

// Bin is a cell's folder: bin/<recipe>/<platform as one element>/<toolchain>-<linkage>.
func (p Path) Bin(c recipe.Cell) string {
	return filepath.Join(string(p), binDir, c.Recipe, c.Platform.Dir(), c.Variant())
}

// Docker is the folder of the docker archives.
func (p Path) Docker() string { return filepath.Join(string(p), dockerDir) }

// Archive is a cell's docker archive: docker/<stem>.tar.
func (p Path) Archive(c recipe.Cell) string { return filepath.Join(p.Docker(), c.Stem()+".tar") }

// OCI is the OCI layout of a recipe, oci/<recipe>, holding an index per
// variant; OCI("") is the folder of them all.
func (p Path) OCI(recipe string) string { return filepath.Join(string(p), ociDir, recipe) }

// Image is a cell's own OCI layout, images/<stem>: its image alone, for
// the tools that open a layout without choosing a ref or a platform.
func (p Path) Image(c recipe.Cell) string { return filepath.Join(string(p), imagesDir, c.Stem()) }

// Matrix is the matrix itself, matrix.json (matrix.WriteAll writes it and
// its renderings into p).
func (p Path) Matrix() string { return filepath.Join(string(p), matrix.JSONFile) }

// MatrixMarkdown is the matrix's Markdown rendering, matrix.md.
func (p Path) MatrixMarkdown() string { return filepath.Join(string(p), matrix.MarkdownFile) }

// Release is the folder release writes: its own oci/ and matrix files,
// sbom/ and SHA256SUMS.
func (p Path) Release() Path { return Path(filepath.Join(string(p), releaseDir)) }

// SBOM is a cell's SBOM in a release: sbom/<stem>.spdx.json.
func (p Path) SBOM(c recipe.Cell) string {
	return filepath.Join(string(p), sbomDir, c.Stem()+".spdx.json")
}

// Wrap is the folder image:wrap writes whole for a program: wrap/<name>,
// holding WrapLayout and WrapArchive.
func (p Path) Wrap(name string) string { return filepath.Join(string(p), wrapDir, name) }

// Repro is where verify:repro keeps diffoscope's reports.
func (p Path) Repro() string { return filepath.Join(string(p), reproDir) }

// Layouts lists the recipes whose OCI layout oci/ holds (a folder being
// written, whose name starts with a dot, is not one yet).
func (p Path) Layouts() ([]string, error) {
	dir := p.OCI("")
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	var out []string
	for _, de := range des {
		if !de.IsDir() || strings.HasPrefix(de.Name(), ".") {
			continue // temporaries of a layout being written
		}
		if _, err := os.Stat(filepath.Join(dir, de.Name(), "oci-layout")); err == nil {
			out = append(out, de.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}
