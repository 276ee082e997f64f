package workspace

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fromscratch/fromscratch"
)

// ToolchainsDir is the name of a project's folder of toolchain files.
const ToolchainsDir = "toolchains"

// Toolchains returns the folder of toolchain files and locks the project
// at root uses: the built-in files the binary carries
// (fromscratch.Toolchains), each replaced by the project's
// toolchains/<same name> when it has one, plus the project's other files
// there. A project with every built-in file (this repository) uses its
// folder as it is; any other gets the merged set written once into
// cacheDir, under a name that is the digest of its content, so the
// files read are always the ones the project and the binary say.
func Toolchains(root, cacheDir string) (string, error) {
	own := filepath.Join(root, ToolchainsDir)
	files, err := builtinFiles()
	if err != nil {
		return "", err
	}
	entries, err := os.ReadDir(own)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("reading %s: %w", ToolchainsDir, err)
	}
	overridden := 0
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if _, ok := files[e.Name()]; ok {
			overridden++
		}
		data, err := os.ReadFile(filepath.Join(own, e.Name()))
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", ToolchainsDir, err)
		}
		files[e.Name()] = data
	}
	if overridden == len(builtinNames()) {
		return own, nil
	}
	return materialize(files, filepath.Join(cacheDir, "toolchains"))
}

// ToolchainNames are the names of the toolchains the project at root
// has (each toolchain file's name without .toml: the built-in ones and
// those of its toolchains/), sorted; nothing is written.
func ToolchainNames(root string) []string {
	names := map[string]bool{}
	for _, n := range builtinNames() {
		names[n] = true
	}
	if entries, err := os.ReadDir(filepath.Join(root, ToolchainsDir)); err == nil {
		for _, e := range entries {
			names[e.Name()] = true
		}
	}
	var out []string
	for n := range names {
		if base, ok := strings.CutSuffix(n, ".toml"); ok {
			out = append(out, base)
		}
	}
	sort.Strings(out)
	return out
}

// builtinNames are the names of the built-in toolchain files.
func builtinNames() []string {
	entries, _ := fs.ReadDir(fromscratch.Toolchains, ToolchainsDir)
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}

// builtinFiles are the built-in toolchain files by name.
func builtinFiles() (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, n := range builtinNames() {
		data, err := fs.ReadFile(fromscratch.Toolchains, path.Join(ToolchainsDir, n))
		if err != nil {
			return nil, fmt.Errorf("reading the built-in %s/%s: %w", ToolchainsDir, n, err)
		}
		files[n] = data
	}
	return files, nil
}

// materialize writes files into base/<digest>/toolchains (the folder
// keeps its name, which error messages show) unless it is there already,
// and returns that folder. The tree is written under a temporary name and
// renamed into place, so a reader sees all of it or none.
func materialize(files map[string][]byte, base string) (string, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		sum := sha256.Sum256(files[n])
		fmt.Fprintf(h, "%s\x00%x\n", n, sum)
	}
	final := filepath.Join(base, hex.EncodeToString(h.Sum(nil))[:16])
	dir := filepath.Join(final, ToolchainsDir)
	if isDir(dir) {
		return dir, nil
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("writing the toolchain files: %w", err)
	}
	tmp, err := os.MkdirTemp(base, ".tmp-")
	if err != nil {
		return "", fmt.Errorf("writing the toolchain files: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Mkdir(filepath.Join(tmp, ToolchainsDir), 0o755); err != nil {
		return "", fmt.Errorf("writing the toolchain files: %w", err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(tmp, ToolchainsDir, n), files[n], 0o644); err != nil {
			return "", fmt.Errorf("writing the toolchain files: %w", err)
		}
	}
	if err := os.Rename(tmp, final); err != nil && !isDir(dir) {
		return "", fmt.Errorf("writing the toolchain files: %w", err)
	}
	return dir, nil
}
