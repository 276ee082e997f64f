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
	"path"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"
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
// manifest records it. Each entry is looked at relative to its open
// directory (fstatat), not by its whole path: the check of a 22,000-entry
// root then costs a third of the kernel's time.
func scanTree(root string) ([]manifestEntry, error) {
	fi, err := os.Lstat(root)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", root)
	}
	entries := []manifestEntry{{Path: ".", Mode: fi.Mode(), MTime: fi.ModTime().UnixNano()}}
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: root, Err: err}
	}
	return scanDir(fd, root, "", entries)
}

// scanDir appends the entries of the open directory fd (at rel under the
// root, "" for the root itself) and of its subdirectories, and closes fd.
func scanDir(fd int, root, rel string, entries []manifestEntry) ([]manifestEntry, error) {
	d := os.NewFile(uintptr(fd), filepath.Join(root, rel))
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	for _, name := range names {
		p := path.Join(rel, name)
		var st unix.Stat_t
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return nil, &fs.PathError{Op: "lstat", Path: filepath.Join(root, p), Err: err}
		}
		e := manifestEntry{Path: p, Mode: fileMode(st.Mode), MTime: st.Mtim.Sec*1e9 + st.Mtim.Nsec}
		switch {
		case e.Mode.IsRegular():
			e.Size = st.Size
		case e.Mode&fs.ModeSymlink != 0:
			if e.Link, err = readlinkat(fd, name); err != nil {
				return nil, &fs.PathError{Op: "readlink", Path: filepath.Join(root, p), Err: err}
			}
		}
		entries = append(entries, e)
		if !e.Mode.IsDir() {
			continue
		}
		sub, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: filepath.Join(root, p), Err: err}
		}
		if entries, err = scanDir(sub, root, p, entries); err != nil {
			return nil, err
		}
	}
	return entries, nil
}

// readlinkat is the target of the symlink name in the directory fd.
func readlinkat(fd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(fd, name, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

// fileMode is the fs.FileMode of a stat mode, as os.Lstat gives it.
func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	}
	for _, b := range []struct {
		bit  uint32
		mode fs.FileMode
	}{{unix.S_ISUID, fs.ModeSetuid}, {unix.S_ISGID, fs.ModeSetgid}, {unix.S_ISVTX, fs.ModeSticky}} {
		if m&b.bit != 0 {
			mode |= b.mode
		}
	}
	return mode
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

// decodeManifest reads manifest.json's entries, one a line.
func decodeManifest(data []byte) ([]manifestEntry, error) {
	var want []manifestEntry
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var e manifestEntry
		if err := dec.Decode(&e); err != nil {
			return nil, err
		}
		want = append(want, e)
	}
	return want, nil
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
	// The manifest is decoded while the tree is scanned: each is about
	// half of the check's time.
	var want []manifestEntry
	decoded := make(chan error, 1)
	go func() {
		var err error
		want, err = decodeManifest(data)
		decoded <- err
	}()
	got, err := scanTree(filepath.Join(dir, "root"))
	if derr := <-decoded; derr != nil {
		return fmt.Errorf("reading %s: %w", filepath.Join(dir, manifestName), derr)
	}
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
