package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
)

// collectLibraries puts into out/lib the shared libraries a dynamic
// project cell installed (jq's libjq, from stage) and those of its
// dependencies (deps, "" for none; built names the library recipe that
// installed each), for the closure: the loader finds them under /lib in
// the image. Without them the closure would take a host library of the
// same name. LibrariesFile records which recipe built each of them, for
// the SBOM. files gets each output by name.
func collectLibraries(out, recipeName, stage, deps string, built, files map[string]string) error {
	origins := map[string]string{}
	for _, dir := range []string{stage, deps} {
		if dir == "" {
			continue
		}
		libDir := filepath.Join(dir, "usr", "lib")
		sos, err := sharedLibraries(libDir)
		if err != nil {
			return err
		}
		for _, name := range sos {
			if _, dup := files["lib/"+name]; dup {
				continue
			}
			dst := filepath.Join(out, "lib", name)
			if err := atomicfile.Copy(filepath.Join(libDir, name), dst, 0o644); err != nil {
				return err
			}
			files["lib/"+name] = dst
			origins[name] = recipeName
			if dir == deps {
				origins[name] = built[name]
			}
		}
	}
	if len(origins) == 0 {
		return nil
	}
	data, err := json.MarshalIndent(origins, "", "  ") // keys sorted
	if err != nil {
		return err
	}
	dst := filepath.Join(out, LibrariesFile)
	if err := atomicfile.Write(dst, append(data, '\n'), 0o644); err != nil {
		return err
	}
	files[LibrariesFile] = dst
	return nil
}

// LibrariesFile is the file of a dynamic project cell's folder (next to
// the binary) that names, for each shared library of its lib/, the recipe
// that built it: {"libjq.so.1": "jq", "libonig.so.5": "onig"}.
const LibrariesFile = "libraries.json"

// LibraryRecipes reads the LibrariesFile of a cell's folder: the recipe
// that built each shared library of its lib/, by file name. A cell
// without one (static, build = "files", or without shared libraries of
// its own) gives an empty map.
func LibraryRecipes(cellDir string) (map[string]string, error) {
	data, err := os.ReadFile(filepath.Join(cellDir, LibrariesFile))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("reading %s: %w", LibrariesFile, err)
	}
	return m, nil
}

// sharedLibraries names the shared objects of dir (libz.so.1, its links
// included, followed), sorted.
func sharedLibraries(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if !strings.Contains(n, ".so.") { // libz.so.1, not the link-time libz.so
			continue
		}
		if st, err := os.Stat(filepath.Join(dir, n)); err == nil && st.Mode().IsRegular() {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}
