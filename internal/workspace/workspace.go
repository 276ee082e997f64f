// Package workspace finds the project fromscratch works on: the directory
// that holds recipes/ (and optionally toolchains/ and fromscratch.toml),
// found in the runfiles of a Bazel-built binary, or else at or above the
// working directory. It reads the project's fromscratch.toml and decides
// which toolchain files a project uses: its own, else the built-in ones
// the binary carries.
package workspace

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/bazelbuild/rules_go/go/runfiles"
)

// repos are the names the repository's runfiles directory can have, in the
// order they are tried: its module name, which the repository mapping
// resolves under bzlmod (also when fromscratch is another module's
// dependency) and which is the directory itself in WORKSPACE mode
// (workspace(name = "fromscratch")); "_main", bzlmod's main repository;
// "__main__", an unnamed WORKSPACE.
var repos = []string{"fromscratch", "_main", "__main__"}

// Root returns the project's directory.
//
// Under Bazel (bazel run, bazel test) it is the directory that the
// runfiles' recipe files lead to (the checkout, or Bazel's copy of an
// external repository), the runfiles found as rules_go's runfiles library
// finds them: the
// RUNFILES_MANIFEST_FILE or RUNFILES_DIR variable read through getenv, or
// program (os.Args[0]) with ".runfiles_manifest" or ".runfiles" appended.
// Otherwise it is the nearest directory at or above wd that holds a
// recipes/ folder or a fromscratch.toml (this repository is one such
// project), and when there is none, wd itself: a project with no recipes
// yet, where init writes the first one and matrix compare needs none.
// Root reads no environment itself: the caller passes os.Getenv, or a
// map's lookup in tests.
func Root(getenv func(string) string, wd, program string) (string, error) {
	rf, err := openRunfiles(getenv, program)
	if err != nil {
		return "", err
	}
	if rf != nil {
		if dir, ok := inRunfiles(rf); ok {
			return dir, nil
		}
	}
	dir, found, err := project(wd)
	if err == nil && !found && rf != nil {
		return "", fmt.Errorf("no recipes/ in the runfiles (declare //:recipes and //:toolchains as data) and no recipes/ or %s in %s or its parents", FileName, wd)
	}
	return dir, err
}

// openRunfiles returns the runfiles of this process, or nil when it has
// none. Every option is passed explicitly, so that the library never falls
// back to reading the environment or os.Args itself.
func openRunfiles(getenv func(string) string, program string) (*runfiles.Runfiles, error) {
	var opt runfiles.Option
	switch {
	case getenv("RUNFILES_MANIFEST_FILE") != "":
		opt = runfiles.ManifestFile(getenv("RUNFILES_MANIFEST_FILE"))
	case getenv("RUNFILES_DIR") != "":
		opt = runfiles.Directory(getenv("RUNFILES_DIR"))
	case program != "" && isFile(program+".runfiles_manifest"):
		opt = runfiles.ManifestFile(program + ".runfiles_manifest")
	case program != "" && isDir(program+".runfiles"):
		opt = runfiles.Directory(program + ".runfiles")
	default:
		return nil, nil
	}
	rf, err := runfiles.New(opt)
	if err != nil {
		return nil, fmt.Errorf("opening the runfiles: %w", err)
	}
	return rf, nil
}

// inRunfiles finds the repository's directory through one recipe file of
// the runfiles, followed through its symlinks: the source tree that the
// runfiles tree links to, or that the manifest's entries name. The
// runfiles tree itself would not do: each of its files is a symlink out of
// its folder, which recipe.Load refuses.
func inRunfiles(rf *runfiles.Runfiles) (string, bool) {
	for _, repo := range repos {
		matches, err := fs.Glob(rf, repo+"/recipes/*/recipe.toml")
		if err != nil || len(matches) == 0 {
			continue
		}
		p, err := rf.Rlocation(matches[0])
		if err != nil {
			continue
		}
		if p, err = filepath.EvalSymlinks(p); err != nil {
			continue
		}
		dir := filepath.Dir(filepath.Dir(filepath.Dir(p)))
		if isDir(filepath.Join(dir, "recipes")) && isDir(filepath.Join(dir, "toolchains")) {
			return dir, true
		}
	}
	return "", false
}

// project walks up from wd to the nearest directory that holds recipes/
// or FileName; found is false (and dir is wd) when there is none.
func project(wd string) (dir string, found bool, err error) {
	start, err := filepath.Abs(wd)
	if err != nil {
		return "", false, fmt.Errorf("finding the project: %w", err)
	}
	for dir = start; ; dir = filepath.Dir(dir) {
		if isDir(filepath.Join(dir, "recipes")) || isFile(filepath.Join(dir, FileName)) {
			return dir, true, nil
		}
		if filepath.Dir(dir) == dir {
			return start, false, nil
		}
	}
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// Rel names p relative to root when it is inside it (as messages show
// the repository's paths: out/matrix.md), else as it is.
func Rel(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil && r != ".." && !strings.HasPrefix(r, "../") {
		return r
	}
	return p
}
