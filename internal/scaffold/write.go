package scaffold

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/recipe"
)

// ExistsError is a recipe that is there already: init never overwrites one.
type ExistsError struct{ Dir string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("%s exists already: init never overwrites a recipe (remove it, or edit it by hand)", e.Dir)
}

// WriteRecipe creates recipesDir/<name>/ holding recipe.toml with text,
// and loads it back: a recipe that does not load is not left behind.
func WriteRecipe(recipesDir, name string, text []byte) (*recipe.Recipe, error) {
	return create(recipesDir, name, text, func(string) error { return nil })
}

// WriteFolder creates recipesDir/<name>/ as a copy of the folder src (its
// folders and regular files; .git and other dot-folders are left out)
// with recipe.toml holding text, and loads it back. src may not hold
// recipesDir.
func WriteFolder(recipesDir, name, src string, text []byte) (*recipe.Recipe, error) {
	absSrc, err := filepath.Abs(src)
	if err != nil {
		return nil, err
	}
	absRecipes, err := filepath.Abs(recipesDir)
	if err != nil {
		return nil, err
	}
	if rel, err := filepath.Rel(absSrc, absRecipes); err == nil && !strings.HasPrefix(rel, "..") {
		return nil, fmt.Errorf("%s holds the project's recipes/ folder: give the folder of one program", src)
	}
	if st, err := os.Stat(src); err != nil {
		return nil, fmt.Errorf("reading %s: %w", src, err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a folder: init dir takes the folder of a program's sources", src)
	}
	return create(recipesDir, name, text, func(dir string) error { return copyFolder(absSrc, dir) })
}

// create makes recipesDir/<name>/ whole or not at all: filled under a
// temporary name, recipe.toml written last, renamed into place, then
// loaded.
func create(recipesDir, name string, text []byte, fill func(dir string) error) (*recipe.Recipe, error) {
	if err := recipe.ValidName(name); err != nil {
		return nil, err
	}
	final := filepath.Join(recipesDir, name)
	shown := filepath.Join("recipes", name)
	if _, err := os.Lstat(final); err == nil {
		return nil, &ExistsError{Dir: shown}
	}
	if err := os.MkdirAll(recipesDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", shown, err)
	}
	tmp, err := os.MkdirTemp(recipesDir, "."+name+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", shown, err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", shown, err)
	}
	if err := fill(tmp); err != nil {
		return nil, fmt.Errorf("creating %s: %w", shown, err)
	}
	if err := atomicfile.Write(filepath.Join(tmp, recipe.FileName), text, 0o644); err != nil {
		return nil, fmt.Errorf("creating %s: %w", shown, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		if _, serr := os.Lstat(final); serr == nil {
			return nil, &ExistsError{Dir: shown}
		}
		return nil, fmt.Errorf("creating %s: %w", shown, err)
	}
	r, err := recipe.Load(final)
	if err != nil {
		os.RemoveAll(final)
		return nil, fmt.Errorf("the recipe init wrote does not load, so it was removed: %w", err)
	}
	return r, nil
}

// copyFolder copies the folders and regular files of src into dst,
// leaving out dot-folders (.git) and anything else (symlinks, devices).
func copyFolder(src, dst string) error {
	return atomicfile.CopyTreeWithout(src, dst, func(name string) bool { return strings.HasPrefix(name, ".") })
}

// errNoBuild is a tree with nothing to build.
var errNoBuild = errors.New("no configure, configure.ac, CMakeLists.txt, Makefile or C/C++ file at its top")

// Check says why g cannot make a recipe, nil when it can. what names the
// tree for the message.
func (g Guess) Check(what string) error {
	if g.Build != "" {
		return nil
	}
	if g.Other != "" {
		return fmt.Errorf("%s: %w; it has %s, a build system fromscratch does not drive (allowed: %s)", what, errNoBuild, g.Other, buildList())
	}
	return fmt.Errorf("%s: %w (fromscratch builds with: %s)", what, errNoBuild, buildList())
}

func buildList() string {
	s := make([]string, len(recipe.BuildSystems))
	for i, b := range recipe.BuildSystems {
		s[i] = string(b)
	}
	return strings.Join(s, ", ")
}
