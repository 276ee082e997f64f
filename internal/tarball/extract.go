// Package tarball reads and writes tar archives: Extract and Unpack let no
// entry out of the destination folder (they write through an os.Root and
// refuse what would escape it), and Write packs a folder into the same
// bytes every time. It imports no project package but atomicfile.
package tarball

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ulikunitz/xz"
)

// UnsafeEntryError is a tarball entry that Extract and Unpack refuse: it
// would escape the tree, or it is not a regular file, folder or link.
type UnsafeEntryError struct {
	Archive, Entry, Problem string
}

func (e *UnsafeEntryError) Error() string {
	return fmt.Sprintf("extracting %s: entry %q %s: refusing the archive", e.Archive, e.Entry, e.Problem)
}

// EmptyError is an archive that Extract finds no file or link in (a zero
// byte or truncated download, an empty tar, folders only, or folders only
// above the strip level).
type EmptyError struct {
	Archive string
	Strip   int
}

func (e *EmptyError) Error() string {
	if e.Strip > 0 {
		return fmt.Sprintf("extracting %s: the archive holds no files (none below its first %d leading folders)", e.Archive, e.Strip)
	}
	return fmt.Sprintf("extracting %s: the archive holds no files", e.Archive)
}

// Extract unpacks the tarball at archive (plain, gzip, xz or bzip2,
// recognised by its first bytes) into dest, which must not exist, dropping
// the first strip leading path elements of every entry as tar
// --strip-components does. dest appears complete or not at all: the tree
// is built under a .tmp- name next to it and renamed at the end. What is
// let in and how is Unpack's. An archive with no file or link to extract
// is an *EmptyError, and dest is not made.
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
	names, err := unpack(f, name, tmp, strip)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return &EmptyError{Archive: name, Strip: strip}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("extracting %s: %w", name, err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		return fmt.Errorf("extracting %s: %w", name, err)
	}
	return nil
}

// Unpack adds the entries of the tarball r (plain, gzip, xz or bzip2) to
// the folder dest, created when missing, dropping the first strip leading
// path elements of every entry; archive names r in errors. It returns the names, relative to dest with slashes, of the files and links
// it wrote, sorted. A later entry, of this archive or of one unpacked into
// dest before, replaces an earlier one of the same name and never writes
// through it.
//
// Entries that would escape the tree are refused, and so is the whole
// archive: absolute names, ".." elements, symlinks whose target is absolute
// or resolves outside the tree, hard links to anything but a regular file
// of the archive extracted before (they become copies), device files and
// fifos, and any entry whose path goes through a symlink. Every write goes
// through an os.Root on dest besides. Modes are normalised to 0755
// (folders, and files with any execute bit) or 0644, so no setuid, setgid
// or sticky bit and nothing of the archive's owners survives; files and
// folders keep the archive's modification times (autotools compares them,
// and they are part of pinned bytes).
func Unpack(r io.Reader, archive, dest string, strip int) ([]string, error) {
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return nil, fmt.Errorf("extracting %s: %w", archive, err)
	}
	return unpack(r, archive, dest, strip)
}

// decompress recognises gzip, xz and bzip2 by their magic numbers; a plain
// tar (its header's "ustar" magic) or anything else is read as it is.
func decompress(r *bufio.Reader) (io.Reader, error) {
	head, _ := r.Peek(262)
	switch {
	case len(head) == 262 && bytes.HasPrefix(head[257:], []byte("ustar")):
		return r, nil // a name may begin with "BZh"
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return gzip.NewReader(r)
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return xz.NewReader(r)
	case bytes.HasPrefix(head, []byte("BZh")):
		return bzip2.NewReader(r), nil
	}
	return r, nil
}
