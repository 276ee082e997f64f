// Package atomicfile writes files so that a reader, a second process or a
// kill in the middle never sees a half-written one: the bytes go to a
// temporary file in the same directory, are synced, and the file is renamed
// into place. Every temporary name it makes starts with "." and holds
// ".tmp-", so what a killed process left can be recognised and removed. It
// imports no other project package.
package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces path with data, mode perm (umask does not apply).
func Write(path string, data []byte, perm os.FileMode) error {
	return WriteFrom(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteChanged is Write, except that a file that already holds exactly
// data with mode perm is left as it is: a run that changes nothing
// rewrites and syncs nothing.
func WriteChanged(path string, data []byte, perm os.FileMode) error {
	if fi, err := os.Lstat(path); err == nil && fi.Mode() == perm && fi.Size() == int64(len(data)) {
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
			return nil
		}
	}
	return Write(path, data, perm)
}

// WriteFrom replaces path with what fill writes, mode perm. The parent
// directory is created when missing. On any error the old file is kept and
// the temporary file removed.
func WriteFrom(path string, perm os.FileMode, fill func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := fill(f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// Copy replaces dst with the contents of src, mode perm.
func Copy(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	defer in.Close()
	return WriteFrom(dst, perm, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}

// CopyTree copies the regular files under src to dst, each with Copy and
// its permission bits; a missing src copies nothing.
func CopyTree(src, dst string) error { return CopyTreeWithout(src, dst, nil) }

// CopyTreeWithout is CopyTree leaving out the folders below src whose
// name skip accepts (nil: none).
func CopyTreeWithout(src, dst string, skip func(name string) bool) error {
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() && rel != "." && skip != nil && skip(d.Name()) {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return Copy(p, target, info.Mode().Perm())
	})
}

// ReplaceDir moves the directory tmp to final, replacing whatever final
// was. The old tree is first renamed aside, so final is at every moment
// either the old or the new tree, never a mix; the old tree is then
// removed. tmp and final must be on the same file system.
func ReplaceDir(tmp, final string) error {
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return fmt.Errorf("replacing %s: %w", final, err)
	}
	aside := ""
	if _, err := os.Lstat(final); err == nil {
		a, err := os.MkdirTemp(filepath.Dir(final), "."+filepath.Base(final)+".tmp-old-")
		if err != nil {
			return fmt.Errorf("replacing %s: %w", final, err)
		}
		aside = filepath.Join(a, "old")
		if err := os.Rename(final, aside); err != nil {
			os.Remove(a)
			return fmt.Errorf("replacing %s: %w", final, err)
		}
		defer os.RemoveAll(a)
	}
	if err := os.Rename(tmp, final); err != nil {
		if aside != "" {
			_ = os.Rename(aside, final)
		}
		return fmt.Errorf("replacing %s: %w", final, err)
	}
	return nil
}
