package tarball

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// unpack reads the tarball r into dir, an existing folder, through an
// os.Root on it.
func unpack(r io.Reader, archive, dir string, strip int) ([]string, error) {
	tr, err := decompress(bufio.NewReader(r))
	if err != nil {
		return nil, fmt.Errorf("extracting %s: %w", archive, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("extracting %s: %w", archive, err)
	}
	defer root.Close()
	u := unpacker{archive: archive, root: root, strip: strip, files: map[string]bool{}, times: map[string]time.Time{}, dirs: map[string]bool{}}
	if err := u.run(tar.NewReader(tr)); err != nil {
		return nil, err
	}
	sort.Strings(u.wrote)
	return slices.Compact(u.wrote), nil
}

type unpacker struct {
	archive string
	root    *os.Root
	strip   int
	files   map[string]bool // regular files extracted so far, by clean relative name
	links   []string        // symlinks, checked again once the tree is complete
	times   map[string]time.Time
	dirs    map[string]bool // folders made or checked (a folder stays one)
	wrote   []string        // files and links, for the caller
}

func (u *unpacker) unsafe(entry, format string, a ...any) error {
	return &UnsafeEntryError{Archive: u.archive, Entry: entry, Problem: fmt.Sprintf(format, a...)}
}

func (u *unpacker) fail(err error) error {
	return fmt.Errorf("extracting %s: %w", u.archive, err)
}

func (u *unpacker) run(tr *tar.Reader) error {
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return u.fail(err)
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue // a pax comment (git archive's commit id)
		}
		if err := u.entry(h, tr); err != nil {
			return err
		}
	}
	if err := u.checkLinks(); err != nil {
		return err
	}
	return u.setTimes()
}

// rel checks an entry name and returns it relative to the tree, stripped;
// "" for an entry that stripping removes.
func (u *unpacker) rel(entry string) (string, error) {
	if entry == "" || strings.HasPrefix(entry, "/") || filepath.IsAbs(entry) {
		return "", u.unsafe(entry, "has an absolute name")
	}
	var parts []string
	for _, p := range strings.Split(entry, "/") {
		switch p {
		case "", ".":
			continue
		case "..":
			return "", u.unsafe(entry, "has a \"..\" element")
		}
		parts = append(parts, p)
	}
	if len(parts) <= u.strip {
		return "", nil
	}
	return strings.Join(parts[u.strip:], "/"), nil
}

// within reports whether the slash path p, relative to the tree, stays in
// it lexically.
func within(p string) bool {
	c := path.Clean(p)
	return c != ".." && !strings.HasPrefix(c, "../") && !path.IsAbs(c)
}

// entry writes one entry of the archive.
func (u *unpacker) entry(h *tar.Header, body io.Reader) error {
	rel, err := u.rel(h.Name)
	if err != nil || rel == "" {
		return err
	}
	if err := u.mkdirs(h.Name, path.Dir(rel)); err != nil {
		return err
	}
	if h.Typeflag != tar.TypeDir {
		// A later entry replaces an earlier one, never writes through it.
		if st, err := u.root.Lstat(rel); err == nil && !st.IsDir() {
			if err := u.root.Remove(rel); err != nil {
				return u.fail(err)
			}
			delete(u.files, rel)
		}
	}
	switch h.Typeflag {
	case tar.TypeDir:
		if st, err := u.root.Lstat(rel); err == nil && !st.IsDir() {
			return u.unsafe(h.Name, "is a folder over an earlier non-folder entry")
		}
		if err := u.mkdirs(h.Name, rel); err != nil {
			return err
		}
	case tar.TypeReg, tar.TypeRegA:
		if err := u.writeFile(rel, body, mode(h.Mode)); err != nil {
			return fmt.Errorf("extracting %s: %s: %w", u.archive, h.Name, err)
		}
	case tar.TypeSymlink:
		return u.symlink(h.Name, rel, h.Linkname)
	case tar.TypeLink:
		if err := u.hardLink(h.Name, rel, h.Linkname); err != nil {
			return err
		}
	case tar.TypeChar, tar.TypeBlock:
		return u.unsafe(h.Name, "is a device file")
	case tar.TypeFifo:
		return u.unsafe(h.Name, "is a fifo")
	default:
		return u.unsafe(h.Name, "has the unsupported type %q", h.Typeflag)
	}
	u.times[rel] = h.ModTime
	return nil
}

// mkdirs makes the folder rel and those above it, 0755 whatever the umask,
// refusing to go through a symlink so that nothing is ever written through
// a link.
func (u *unpacker) mkdirs(entry, rel string) error {
	if rel == "." || u.dirs[rel] {
		return nil
	}
	if err := u.mkdirs(entry, path.Dir(rel)); err != nil {
		return err
	}
	st, err := u.root.Lstat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := u.root.Mkdir(rel, 0o755); err != nil {
			return u.fail(err)
		}
	case err != nil:
		return u.fail(err)
	case st.Mode()&fs.ModeSymlink != 0:
		return u.unsafe(entry, "goes through the symlink %s", rel)
	case !st.IsDir():
		return u.fail(fmt.Errorf("entry %q: %s is not a folder", entry, rel))
	}
	if err := u.root.Chmod(rel, 0o755); err != nil {
		return u.fail(err)
	}
	u.dirs[rel] = true
	return nil
}

// symlink makes the link rel -> target when target stays in the tree.
func (u *unpacker) symlink(entry, rel, target string) error {
	if target == "" || path.IsAbs(target) {
		return u.unsafe(entry, "is a symlink to the absolute path %q", target)
	}
	if !within(path.Join(path.Dir(rel), target)) {
		return u.unsafe(entry, "is a symlink to %q, outside the tree", target)
	}
	if err := u.root.Symlink(target, rel); err != nil {
		return u.fail(err)
	}
	u.links = append(u.links, rel)
	u.wrote = append(u.wrote, rel)
	return nil
}

// hardLink copies the regular file the archive extracted before as
// linkname to rel: the tree's files stay independent.
func (u *unpacker) hardLink(entry, rel, linkname string) error {
	target, err := u.rel(linkname)
	if err != nil || target == "" {
		return u.unsafe(entry, "is a hard link to %q, outside the tree", linkname)
	}
	if !u.files[target] {
		return u.unsafe(entry, "is a hard link to %q, which is not a regular file extracted before it", linkname)
	}
	src, err := u.root.Open(target)
	if err != nil {
		return u.fail(err)
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return u.fail(err)
	}
	if err := u.writeFile(rel, src, st.Mode().Perm()); err != nil {
		return fmt.Errorf("extracting %s: %s: %w", u.archive, entry, err)
	}
	return nil
}

func (u *unpacker) writeFile(rel string, r io.Reader, perm os.FileMode) error {
	f, err := u.root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
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
	if err := f.Close(); err != nil {
		return err
	}
	u.files[rel] = true
	u.wrote = append(u.wrote, rel)
	return nil
}

// checkLinks resolves every link against the finished tree, links through
// links included: each must land inside it.
func (u *unpacker) checkLinks() error {
	top, err := filepath.EvalSymlinks(u.root.Name())
	if err != nil {
		return u.fail(err)
	}
	for _, l := range u.links {
		real, err := filepath.EvalSymlinks(filepath.Join(top, filepath.FromSlash(l)))
		if err != nil {
			continue // dangling, and lexically inside: harmless
		}
		if r, err := filepath.Rel(top, real); err != nil || !within(filepath.ToSlash(r)) {
			return u.unsafe(l, "is a symlink that resolves outside the tree")
		}
	}
	return nil
}

// setTimes gives files and folders the archive's times, deepest first,
// last: nothing is created in the tree after them.
func (u *unpacker) setTimes() error {
	rels := make([]string, 0, len(u.times))
	for r := range u.times {
		rels = append(rels, r)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(rels)))
	for _, r := range rels {
		if err := u.root.Chtimes(r, u.times[r], u.times[r]); err != nil {
			return u.fail(err)
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
