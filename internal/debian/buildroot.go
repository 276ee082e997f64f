package debian

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// RootDir is where the cache keeps the build root of the lock whose digest
// is digest: <cacheDir>/buildroot/<digest>, holding root/ (the tree),
// manifest.json and contents.json (which package each file came from).
func RootDir(cacheDir, digest string) string {
	return filepath.Join(cacheDir, "buildroot", digest)
}

// manifestName is the file beside root/ that lists every entry of the
// tree: a root is published with it, and checked against it.
const manifestName = "manifest.json"

// manifestEntry is one path of an assembled root as the manifest records it.
type manifestEntry struct {
	Path  string      `json:"path"` // relative, "usr/bin/gcc"
	Mode  fs.FileMode `json:"mode"`
	Size  int64       `json:"size,omitempty"` // regular files
	MTime int64       `json:"mtime"`          // Unix nanoseconds
	Link  string      `json:"link,omitempty"` // symlink target
}

// EnsureRoot returns the assembled build root of lock (the root/
// directory of RootDir): the cached one when it matches its manifest,
// else a new one, assembled from the locked files (fetched by f into the
// cache when missing) into a temporary sibling that is renamed into
// place, so that the root is complete or absent. A damaged root (a file
// changed in size, mode or date, removed or added) is set aside and
// assembled again. Two processes may both assemble; the first to rename
// wins and the other uses its root.
func EnsureRoot(ctx context.Context, cacheDir string, lock *RootLock, f *Fetcher) (string, error) {
	digest := lock.ComputeDigest()
	dir := RootDir(cacheDir, digest)
	root := filepath.Join(dir, "root")
	err := CheckRoot(dir)
	if err == nil {
		return root, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("assembling the build root: %w", err)
	}
	if _, err := os.Lstat(dir); err == nil { // damaged, or never finished
		if err := setAside(dir); err != nil {
			return "", err
		}
	}
	debs, err := f.FetchAll(ctx, lock.Packages)
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+digest+".tmp-")
	if err != nil {
		return "", fmt.Errorf("assembling the build root: %w", err)
	}
	defer removeTree(tmp)
	names := make([]string, len(lock.Packages))
	for i, p := range lock.Packages {
		names[i] = p.Name
	}
	owners, err := assemble(filepath.Join(tmp, "root"), debs, names)
	if err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := writeManifest(tmp); err != nil {
		return "", err
	}
	if err := writeContents(tmp, digest, owners); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("assembling the build root: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if CheckRoot(dir) == nil {
			return root, nil // another process published it first
		}
		return "", fmt.Errorf("publishing the build root: %w", err)
	}
	return root, nil
}

// setAside renames a damaged root out of the way and removes it.
func setAside(dir string) error {
	trash, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".damaged-")
	if err != nil {
		return fmt.Errorf("setting the damaged build root aside: %w", err)
	}
	if err := os.Rename(dir, filepath.Join(trash, "old")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		removeTree(trash)
		return fmt.Errorf("setting the damaged build root aside: %w", err)
	}
	return removeTree(trash)
}

// removeTree removes dir even where a directory lost its write bit.
func removeTree(dir string) error {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	return os.RemoveAll(dir)
}

// scanTree lists every entry under root, in lexical order, as the
// manifest records it.
func scanTree(root string) ([]manifestEntry, error) {
	var entries []manifestEntry
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		e := manifestEntry{Path: filepath.ToSlash(rel), Mode: fi.Mode(), MTime: fi.ModTime().UnixNano()}
		switch {
		case fi.Mode().IsRegular():
			e.Size = fi.Size()
		case fi.Mode()&fs.ModeSymlink != 0:
			if e.Link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		entries = append(entries, e)
		return nil
	})
	return entries, err
}

// writeManifest lists dir/root into dir/manifest.json, one entry a line.
func writeManifest(dir string) error {
	entries, err := scanTree(filepath.Join(dir, "root"))
	if err != nil {
		return fmt.Errorf("listing the build root: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, manifestName))
	if err != nil {
		return fmt.Errorf("writing the build root's manifest: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, e := range entries {
		if err := enc.Encode(e); err != nil {
			f.Close()
			return fmt.Errorf("writing the build root's manifest: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("writing the build root's manifest: %w", err)
	}
	return f.Close()
}

// RootPublished says whether dir (RootDir) holds a published root: its
// manifest and contents exist (it is not checked against them).
func RootPublished(dir string) bool {
	for _, n := range []string{manifestName, contentsName} {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			return false
		}
	}
	return true
}

// CheckRoot compares the tree under dir/root with dir/manifest.json,
// cheaply (lstat: sizes, modes, mtimes, link targets; no contents), and
// checks that dir/contents.json is there (a root assembled before it
// existed is assembled again). An error wrapping fs.ErrNotExist means no
// root was published there; any other names the first difference.
func CheckRoot(dir string) error {
	data, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, contentsName)); err != nil {
		return fmt.Errorf("the build root in %s has no %s: %v", dir, contentsName, err)
	}
	var want []manifestEntry
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var e manifestEntry
		if err := dec.Decode(&e); err != nil {
			return fmt.Errorf("reading %s: %w", filepath.Join(dir, manifestName), err)
		}
		want = append(want, e)
	}
	got, err := scanTree(filepath.Join(dir, "root"))
	if err != nil {
		return fmt.Errorf("the build root in %s is damaged: %v", dir, err)
	}
	for i := 0; i < len(want) || i < len(got); i++ {
		switch {
		case i >= len(got):
			return fmt.Errorf("the build root in %s is damaged: /%s is missing", dir, want[i].Path)
		case i >= len(want):
			return fmt.Errorf("the build root in %s is damaged: /%s was added", dir, got[i].Path)
		case got[i] != want[i]:
			return fmt.Errorf("the build root in %s is damaged: /%s changed (%+v, the manifest says %+v)", dir, got[i].Path, got[i], want[i])
		}
	}
	return nil
}
