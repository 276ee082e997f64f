package source

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ulikunitz/xz"
)

// UnsafeEntryError is a tarball entry that Extract refuses: it would
// escape the tree, or it is not a regular file, folder or link.
type UnsafeEntryError struct {
	Archive, Entry, Problem string
}

func (e *UnsafeEntryError) Error() string {
	return fmt.Sprintf("extracting %s: entry %q %s: refusing the archive", e.Archive, e.Entry, e.Problem)
}

// Extract unpacks the tarball at archive (plain, gzip, xz or bzip2,
// recognised by its first bytes) into dest, which must not exist, dropping
// the first strip leading path elements of every entry as tar
// --strip-components does. dest appears complete or not at all: the tree
// is built under a .tmp- name next to it and renamed at the end.
//
// Entries that would escape the tree are refused, and so is the whole
// archive: absolute names, ".." elements, symlinks whose target is absolute
// or resolves outside the tree, hard links to anything but a regular file
// extracted before, device files and fifos, and any entry whose path goes
// through a symlink. Modes are normalised to 0755 (folders, and files with
// any execute bit) or 0644, so no setuid, setgid or sticky bit and nothing
// of the archive's owners survives; files and folders keep the archive's
// modification times (autotools compares them, and they are part of the
// pinned bytes).
func Extract(archive, dest string, strip int) (err error) {
	name := filepath.Base(archive)
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("extracting %s: %s exists already", name, dest)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return fmt.Errorf("extracting %s: %w", name, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".tmp-")
	if err != nil {
		return fmt.Errorf("extracting %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	f, err := os.Open(archive)
	if err != nil {
		return fmt.Errorf("extracting %s: %w", name, err)
	}
	defer f.Close()
	r, err := decompress(bufio.NewReader(f))
	if err != nil {
		return fmt.Errorf("extracting %s: %w", name, err)
	}
	x := extractor{archive: name, root: tmp, strip: strip}
	if err := x.run(tar.NewReader(r)); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("extracting %s: %w", name, err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		return fmt.Errorf("extracting %s: %w", name, err)
	}
	return nil
}

// decompress recognises gzip, xz and bzip2 by their magic numbers; anything
// else is read as a plain tar.
func decompress(r *bufio.Reader) (io.Reader, error) {
	magic, _ := r.Peek(6)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return gzip.NewReader(r)
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return xz.NewReader(r)
	case bytes.HasPrefix(magic, []byte("BZh")):
		return bzip2.NewReader(r), nil
	}
	return r, nil
}

type extractor struct {
	archive string
	root    string // the .tmp- tree
	strip   int
	files   map[string]bool // regular files extracted so far, by clean relative name
	links   []string        // symlinks, checked again once the tree is complete
	times   map[string]time.Time
}

func (x *extractor) unsafe(entry, format string, a ...any) error {
	return &UnsafeEntryError{Archive: x.archive, Entry: entry, Problem: fmt.Sprintf(format, a...)}
}

// rel checks an entry name and returns it relative to the tree, stripped;
// "" for an entry that stripping removes.
func (x *extractor) rel(entry string) (string, error) {
	if entry == "" || strings.HasPrefix(entry, "/") || filepath.IsAbs(entry) {
		return "", x.unsafe(entry, "has an absolute name")
	}
	var parts []string
	for _, p := range strings.Split(entry, "/") {
		switch p {
		case "", ".":
			continue
		case "..":
			return "", x.unsafe(entry, "has a \"..\" element")
		}
		parts = append(parts, p)
	}
	if len(parts) <= x.strip {
		return "", nil
	}
	return strings.Join(parts[x.strip:], "/"), nil
}

// checkParents refuses a path whose parent folders include a symlink, so
// that nothing is ever written through a link.
func (x *extractor) checkParents(entry, rel string) error {
	dir := path.Dir(rel)
	for dir != "." {
		st, err := os.Lstat(filepath.Join(x.root, dir))
		if err == nil && st.Mode()&os.ModeSymlink != 0 {
			return x.unsafe(entry, "goes through the symlink %s", dir)
		}
		dir = path.Dir(dir)
	}
	return nil
}

// within reports whether the slash path p, relative to the tree, stays in
// it lexically.
func within(p string) bool {
	c := path.Clean(p)
	return c != ".." && !strings.HasPrefix(c, "../") && !path.IsAbs(c)
}

func (x *extractor) run(tr *tar.Reader) error {
	x.files = map[string]bool{}
	x.times = map[string]time.Time{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("extracting %s: %w", x.archive, err)
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue // a pax comment (git archive's commit id)
		}
		rel, err := x.rel(h.Name)
		if err != nil {
			return err
		}
		if rel == "" {
			continue
		}
		if err := x.checkParents(h.Name, rel); err != nil {
			return err
		}
		full := filepath.Join(x.root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("extracting %s: %w", x.archive, err)
		}
		if h.Typeflag != tar.TypeDir {
			// A later entry replaces an earlier one, never writes through it.
			if st, err := os.Lstat(full); err == nil && !st.IsDir() {
				if err := os.Remove(full); err != nil {
					return fmt.Errorf("extracting %s: %w", x.archive, err)
				}
				delete(x.files, rel)
			}
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if st, err := os.Lstat(full); err == nil && !st.IsDir() {
				return x.unsafe(h.Name, "is a folder over an earlier non-folder entry")
			}
			if err := os.MkdirAll(full, 0o755); err != nil {
				return fmt.Errorf("extracting %s: %w", x.archive, err)
			}
		case tar.TypeReg, tar.TypeRegA:
			if err := writeFile(full, tr, mode(h.Mode)); err != nil {
				return fmt.Errorf("extracting %s: %s: %w", x.archive, h.Name, err)
			}
			x.files[rel] = true
		case tar.TypeSymlink:
			t := h.Linkname
			if t == "" || path.IsAbs(t) {
				return x.unsafe(h.Name, "is a symlink to the absolute path %q", t)
			}
			if !within(path.Join(path.Dir(rel), t)) {
				return x.unsafe(h.Name, "is a symlink to %q, outside the tree", t)
			}
			if err := os.Symlink(t, full); err != nil {
				return fmt.Errorf("extracting %s: %w", x.archive, err)
			}
			x.links = append(x.links, rel)
		case tar.TypeLink:
			target, err := x.rel(h.Linkname)
			if err != nil || target == "" {
				return x.unsafe(h.Name, "is a hard link to %q, outside the tree", h.Linkname)
			}
			if !x.files[target] {
				return x.unsafe(h.Name, "is a hard link to %q, which is not a regular file extracted before it", h.Linkname)
			}
			// A copy rather than a link: the tree's files stay independent.
			src, err := os.Open(filepath.Join(x.root, filepath.FromSlash(target)))
			if err != nil {
				return fmt.Errorf("extracting %s: %w", x.archive, err)
			}
			st, _ := src.Stat()
			err = writeFile(full, src, st.Mode().Perm())
			src.Close()
			if err != nil {
				return fmt.Errorf("extracting %s: %s: %w", x.archive, h.Name, err)
			}
			x.files[rel] = true
		case tar.TypeChar, tar.TypeBlock:
			return x.unsafe(h.Name, "is a device file")
		case tar.TypeFifo:
			return x.unsafe(h.Name, "is a fifo")
		default:
			return x.unsafe(h.Name, "has the unsupported type %q", h.Typeflag)
		}
		if h.Typeflag != tar.TypeSymlink {
			x.times[rel] = h.ModTime
		}
	}
	// Every link resolved against the finished tree, links through links
	// included, must land inside it.
	for _, l := range x.links {
		full := filepath.Join(x.root, filepath.FromSlash(l))
		real, err := filepath.EvalSymlinks(full)
		if err != nil {
			continue // dangling, and lexically inside: harmless
		}
		if r, err := filepath.Rel(x.root, real); err != nil || !within(filepath.ToSlash(r)) {
			return x.unsafe(l, "is a symlink that resolves outside the tree")
		}
	}
	// Folders 0755 whatever the umask made of them.
	err := filepath.WalkDir(x.root, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return os.Chmod(p, 0o755)
	})
	if err != nil {
		return fmt.Errorf("extracting %s: %w", x.archive, err)
	}
	// Times last: nothing is created in the tree after them.
	rels := make([]string, 0, len(x.times))
	for r := range x.times {
		rels = append(rels, r)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(rels)))
	for _, r := range rels {
		if err := os.Chtimes(filepath.Join(x.root, filepath.FromSlash(r)), x.times[r], x.times[r]); err != nil {
			return fmt.Errorf("extracting %s: %w", x.archive, err)
		}
	}
	return nil
}

// mode is the normalised mode of a file: 0755 when the archive gives it
// any execute bit, else 0644.
func mode(m int64) os.FileMode {
	if m&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

func writeFile(p string, r io.Reader, perm os.FileMode) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil { // umask does not apply
		f.Close()
		return err
	}
	return errors.Join(f.Close())
}
