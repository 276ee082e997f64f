package tarball

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
)

// Write packs the folder dir into a plain tarball at dst (replaced
// atomically) with sorted names, USTAR headers, uid 0, modes normalised
// to 0755 (folders, and files with any execute bit), 0644 or 0777
// (symlinks) and every time set to modTime, whole seconds: the same
// folder gives the same bytes. Only files, folders and symlinks may be in
// it.
func Write(dir, dst string, modTime time.Time) error {
	names, err := walk(dir)
	if err != nil {
		return fmt.Errorf("packing %s: %w", filepath.Base(dir), err)
	}
	mtime := time.Unix(modTime.Unix(), 0).UTC()
	return atomicfile.WriteFrom(dst, 0o644, func(w io.Writer) error {
		tw := tar.NewWriter(w)
		for _, n := range names {
			if err := writeEntry(tw, dir, n, mtime); err != nil {
				return err
			}
		}
		return tw.Close()
	})
}

// walk lists the names under dir, relative with slashes, sorted.
func walk(dir string) ([]string, error) {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(names)
	return names, err
}

// writeEntry writes the header of dir's entry n and, for a file, its bytes.
func writeEntry(tw *tar.Writer, dir, n string, mtime time.Time) error {
	p := filepath.Join(dir, filepath.FromSlash(n))
	st, err := os.Lstat(p)
	if err != nil {
		return err
	}
	h := &tar.Header{Name: n, ModTime: mtime, Format: tar.FormatUSTAR}
	switch {
	case st.IsDir():
		h.Typeflag, h.Name, h.Mode = tar.TypeDir, n+"/", 0o755
	case st.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return err
		}
		h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, target, 0o777
	case st.Mode().IsRegular():
		h.Typeflag, h.Size, h.Mode = tar.TypeReg, st.Size(), int64(mode(int64(st.Mode().Perm())))
	default:
		return fmt.Errorf("packing %s: %s is neither a file, a folder nor a symlink", filepath.Base(dir), n)
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if h.Typeflag != tar.TypeReg {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(tw, f)
	return err
}
