package shard

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
)

// ManifestFile is the manifest's name in a shard's out/.
const ManifestFile = "shard.json"

// SchemaVersion is the version of shard.json this package writes and the
// only one it reads.
const SchemaVersion = 1

// Manifest is shard.json: what a build:all made its out/ from, and every
// cell it accounts for. Two shards may be merged only when everything but
// the selection and the cells agrees.
type Manifest struct {
	SchemaVersion int `json:"schema_version"`
	// Name is Name(Platforms, Toolchains): "linux-arm64", or "all".
	Name string `json:"name"`
	// Commit is the commit built ($GITHUB_SHA, else git rev-parse HEAD;
	// empty outside git).
	Commit string `json:"commit"`
	// Inputs is InputsDigest of the repository: recipes/ and toolchains/.
	Inputs string `json:"inputs"`
	// Version is fromscratch's version.
	Version string `json:"version"`
	// SourceDateEpoch is the build date every artifact carries.
	SourceDateEpoch int64 `json:"source_date_epoch"`
	// The selection: FROMSCRATCH_PLATFORMS, FROMSCRATCH_TOOLCHAINS and
	// FROMSCRATCH_RECIPES; empty = all.
	Platforms  []string `json:"platforms"`
	Toolchains []string `json:"toolchains"`
	Recipes    []string `json:"recipes"`
	// Cells are the cells of the selection, built or not, in matrix order.
	Cells []Cell `json:"cells"`
}

// Cell is one cell a shard accounts for, with its status and, when built,
// its image digest.
type Cell struct {
	Recipe    string `json:"recipe"`
	Platform  string `json:"platform"`
	Toolchain string `json:"toolchain"`
	Linkage   string `json:"linkage"`
	Status    string `json:"status"`
	Digest    string `json:"digest,omitempty"`
}

// String names the cell as the matrix and the logs do: "hello linux/arm64 gcc-static".
func (c Cell) String() string {
	return c.Recipe + " " + c.Platform + " " + c.Toolchain + "-" + c.Linkage
}

// outcome is the status and digest, for conflict messages.
func (c Cell) outcome() string {
	if c.Digest == "" {
		return c.Status
	}
	return c.Status + " " + c.Digest
}

// Write writes m as dir/shard.json.
func (m *Manifest) Write(dir string) error {
	if m.SchemaVersion == 0 {
		m.SchemaVersion = SchemaVersion
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", ManifestFile, err)
	}
	return atomicfile.WriteChanged(filepath.Join(dir, ManifestFile), append(data, '\n'), 0o644)
}

// Read reads the manifest of the shard output at dir, saying clearly when
// dir is missing or is not a shard's output.
func Read(dir string) (*Manifest, error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("shard %s: no such directory", dir)
	case err != nil:
		return nil, fmt.Errorf("shard %s: %w", dir, err)
	case !st.IsDir():
		return nil, fmt.Errorf("shard %s: not a directory", dir)
	}
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("shard %s: no %s: not the out/ of a build:all (which writes it)", dir, ManifestFile)
	}
	if err != nil {
		return nil, fmt.Errorf("shard %s: %w", dir, err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("shard %s: decoding %s: %w", dir, ManifestFile, err)
	}
	if m.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("shard %s: %s has schema_version %d, this program reads only %d", dir, ManifestFile, m.SchemaVersion, SchemaVersion)
	}
	return &m, nil
}

// InputsDirs are the folders of the repository whose content decides
// what a build makes, besides the code: InputsDigest covers them.
var InputsDirs = []string{"recipes", "toolchains"}

// InputsDigest is "sha256:<hex>" over every file of root's recipes/ and
// toolchains/: one line per file, sorted by slash path, holding the path
// and the sha256 of its content (a symlink: of its target's name). A
// project without toolchains/ uses the built-in files, which are part of
// the code.
func InputsDigest(root string) (string, error) {
	var lines []string
	for _, d := range InputsDirs {
		base := filepath.Join(root, d)
		if _, err := os.Lstat(base); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		err := filepath.WalkDir(base, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() {
				return nil
			}
			var content []byte
			if !e.Type().IsRegular() && e.Type()&fs.ModeSymlink == 0 {
				// A named pipe or a device would block the read.
				return fmt.Errorf("%s is not a regular file, a folder or a symlink (%v): remove it", p, e.Type())
			}
			if e.Type()&fs.ModeSymlink != 0 {
				t, err := os.Readlink(p)
				if err != nil {
					return err
				}
				content = []byte("symlink " + t)
			} else if content, err = os.ReadFile(p); err != nil {
				return err
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(content)
			lines = append(lines, filepath.ToSlash(rel)+"\x00"+hex.EncodeToString(sum[:])+"\n")
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("hashing %s: %w", d, err)
		}
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
