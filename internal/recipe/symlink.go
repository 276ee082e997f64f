package recipe

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Symlinks inside a recipe folder may point only inside it: the cache key
// hashes the folder's files (Inputs), and a link out of the folder would let
// the compiler read a file whose changes the key never sees.

// checkSymlinks finds every symlink in the folder that resolves outside it.
// A dangling symlink (an editor's lock file, say) is no input and is left alone.
func (r *Recipe) checkSymlinks(file string) []error {
	root, err := filepath.EvalSymlinks(r.Dir)
	if err != nil {
		return []error{fmt.Errorf("resolving recipes/%s: %w", r.Name, err)}
	}
	// Paths named in recipe.toml are checked, and reported, by checkPath.
	named := map[string]bool{}
	for _, s := range r.Sources {
		named[filepath.Clean(s)] = true
	}
	for _, l := range r.StaticLibraries {
		for _, s := range l.Sources {
			named[filepath.Clean(s)] = true
		}
	}
	for _, s := range r.IncludeDirs {
		named[filepath.Clean(s)] = true
	}
	for _, s := range r.Patches {
		named[filepath.Clean(s)] = true
	}
	for _, s := range append([]string{r.Smoke.StdinFile, r.Smoke.StdoutFile}, r.InstallFileSources()...) {
		if s != "" {
			named[filepath.Clean(s)] = true
		}
	}
	var errs []error
	err = filepath.WalkDir(r.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		rel, _ := filepath.Rel(r.Dir, path)
		if _, err := r.resolveLink(root, path); err != nil && !named[rel] {
			errs = append(errs, &FieldError{file, rel, err.Error()})
		}
		return nil
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("listing recipes/%s: %w", r.Name, err))
	}
	return errs
}

// resolveLink follows the symlink at path. It returns what the link points
// to, "" for a dangling link, and an error when it points outside root (the
// folder, symlinks resolved).
func (r *Recipe) resolveLink(root, path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", nil
	}
	rel, err := filepath.Rel(root, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("symlink to %s, outside the recipe folder (allowed: symlinks to files and folders inside recipes/%s; copy the file into the folder instead)", real, r.Name)
	}
	return real, nil
}

// isInputFile reports whether the walked entry at path is a file that
// Inputs may list: a regular file, or a symlink to a regular file inside
// the folder (listed under the link's name, so that pointing the link
// elsewhere changes the key). A symlink out of the folder is an error, not
// a file to skip or to follow.
func (r *Recipe) isInputFile(root, path string, d fs.DirEntry) (bool, error) {
	if d.Type().IsRegular() {
		return true, nil
	}
	if d.Type()&fs.ModeSymlink == 0 {
		return false, nil
	}
	real, err := r.resolveLink(root, path)
	if err != nil {
		rel, _ := filepath.Rel(r.Dir, path)
		return false, fmt.Errorf("%s: %w", rel, err)
	}
	if real == "" {
		return false, nil
	}
	st, err := os.Stat(real)
	return err == nil && st.Mode().IsRegular(), nil
}

// specialKind names what a folder entry of mode m is when it is neither a
// regular file, a folder nor a symlink: "" for those three.
func specialKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return ""
}

// checkSpecialFiles finds every entry of the folder that is not a regular
// file, a folder or a symlink: opening a named pipe or a device blocks
// (the compiler, a hash of the folder) and would hang the run.
func (r *Recipe) checkSpecialFiles(file string) []error {
	var errs []error
	err := filepath.WalkDir(r.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if kind := specialKind(d.Type()); kind != "" {
			rel, _ := filepath.Rel(r.Dir, path)
			errs = append(errs, &FieldError{file, rel, kind + " in the recipe folder (allowed: regular files, folders and symlinks; reading it could block the run): remove it"})
		}
		return nil
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("listing recipes/%s: %w", r.Name, err))
	}
	return errs
}
