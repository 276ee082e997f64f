package source

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/tarball"
)

// folderTime is the modification time of every file copied from a recipe
// folder: the checkout's times are the machine's, so all get one fixed
// time instead (make then sees every file as up to date with the others).
var folderTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Tree lays out the source tree of the project recipe r at dest, which
// must not exist: the recipe folder's files (less recipe.toml and the
// patches), or the pinned URL tarball, or the Debian source package's
// upstream tarball with its top folder stripped (as dpkg-source does) and,
// with debian_patches, its debian/ folder and quilt series applied, less
// the patches debian_patches_skip names (a
// pinned file the store lacks is taken from the recipe folder when it is
// there, see FetchDebian); then the recipe's own patches, in order, with -p1. Every download is checked
// against its pin before anything is extracted. dest appears complete or
// not at all: the tree is built under a .tmp- name and renamed at the end.
// run applies the patches (GNU patch).
func (s *Store) Tree(ctx context.Context, run Run, r *recipe.Recipe, dest string) (err error) {
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("laying out the source of %s: %s exists already", r.Name, dest)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return fmt.Errorf("laying out the source of %s: %w", r.Name, err)
	}
	work, err := os.MkdirTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".tmp-")
	if err != nil {
		return fmt.Errorf("laying out the source of %s: %w", r.Name, err)
	}
	defer os.RemoveAll(work)
	tree := filepath.Join(work, "tree")
	var patches []Patch
	switch src := r.Source; src.Kind() {
	case recipe.SourceFolder:
		if err := copyFolder(r, tree); err != nil {
			return fmt.Errorf("laying out the source of %s: %w", r.Name, err)
		}
		if ents, err := os.ReadDir(tree); err == nil && len(ents) == 0 {
			return fmt.Errorf("laying out the source of %s: recipes/%s holds no files to build besides recipe.toml (and its patches): add the project's files, or a [source]", r.Name, r.Name)
		}
	case recipe.SourceURL:
		blob, err := s.FetchURL(ctx, r.Dir, src.URL, src.SHA256)
		if err != nil {
			return err
		}
		if err := tarball.Extract(blob, tree, src.StripComponents); err != nil {
			return archiveError(src.URL, err)
		}
	case recipe.SourceDebian:
		files, err := s.FetchDebian(ctx, r.Dir, src.Debian, src.Version, src.Files)
		if err != nil {
			return fmt.Errorf("laying out the source of %s: %w", r.Name, err)
		}
		if err := tarball.Extract(files[src.OrigTarball()], tree, 1); err != nil {
			return archiveError(src.OrigTarball(), err)
		}
		if src.DebianPatches {
			deb := filepath.Join(work, "debian")
			if err := tarball.Extract(files[src.DebianTarball()], deb, 0); err != nil {
				return fmt.Errorf("%s: %w", src.DebianTarball(), err)
			}
			if err := os.RemoveAll(filepath.Join(tree, "debian")); err != nil {
				return err
			}
			if err := os.Rename(filepath.Join(deb, "debian"), filepath.Join(tree, "debian")); err != nil {
				return fmt.Errorf("%s holds no debian/ folder: %w", src.DebianTarball(), err)
			}
			series, err := QuiltSeries(tree)
			if err != nil {
				return fmt.Errorf("%s: %w", src.DebianTarball(), err)
			}
			kept, bad := SkipPatches(series, src.DebianPatchesSkip)
			if bad != nil {
				bad.File, bad.Problem = r.File(), fmt.Sprintf("%s of %s", bad.Problem, src.DebianTarball())
				return bad
			}
			patches = append(patches, kept...)
		}
	}
	for _, p := range r.Patches {
		patches = append(patches, Patch{Name: "recipes/" + r.Name + "/" + filepath.ToSlash(filepath.Clean(p)), Path: filepath.Join(r.Dir, p), Strip: 1})
	}
	if err := ApplyPatches(ctx, run, tree, patches); err != nil {
		return fmt.Errorf("laying out the source of %s: %w", r.Name, err)
	}
	if err := os.Rename(tree, dest); err != nil {
		return fmt.Errorf("laying out the source of %s: %w", r.Name, err)
	}
	return nil
}

// copyFolder copies the recipe's input files, less recipe.toml and the
// patches, into dir with normalised modes and one fixed time.
func copyFolder(r *recipe.Recipe, dir string) error {
	inputs, err := r.Inputs()
	if err != nil {
		return err
	}
	skip := []string{recipe.FileName}
	for _, p := range r.Patches {
		skip = append(skip, filepath.Clean(p))
	}
	var dirs []string
	for _, rel := range inputs {
		if slices.Contains(skip, rel) {
			continue
		}
		src := filepath.Join(r.Dir, rel)
		dst := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		for d := filepath.Dir(dst); d != filepath.Dir(dir); d = filepath.Dir(d) {
			dirs = append(dirs, d)
		}
		if err := copyFile(src, dst); err != nil {
			return err
		}
		if err := os.Chtimes(dst, folderTime, folderTime); err != nil {
			return err
		}
	}
	for _, d := range dirs {
		if err := os.Chmod(d, 0o755); err != nil {
			return err
		}
	}
	return os.MkdirAll(dir, 0o755)
}

// copyFile copies src (following a symlink inside the folder: Inputs
// checked it) to dst, 0755 when it has any execute bit, else 0644.
func copyFile(src, dst string) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	perm := os.FileMode(0o644)
	if st.Mode()&0o111 != 0 {
		perm = 0o755
	}
	return atomicfile.Copy(src, dst, perm)
}

// archiveError says what went wrong extracting the source archive named
// name (its URL or file name: the store knows it by its digest only).
func archiveError(name string, err error) error {
	var empty *tarball.EmptyError
	if errors.As(err, &empty) {
		if empty.Strip > 0 {
			return fmt.Errorf("the source archive %s is empty: it holds no files below its first %d leading folders (source.strip_components)", name, empty.Strip)
		}
		return fmt.Errorf("the source archive %s is empty: it holds no files", name)
	}
	return fmt.Errorf("%s: %w", name, err)
}
