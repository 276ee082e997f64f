package toolchain

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
)

// BuildProject builds the project cell p: it writes the wrapper scripts
// and toolchain file (Files), runs Steps with env (Project.Env of the
// cell's explicit environment) through its build system (autotools starts
// configure from the shared config.cache, FilterConfigCache, and merges
// what it found into it when the cell has built), copies the
// built file for a make recipe without an install target, removes
// libtool's .la files from a library's stage (their absolute /usr/lib
// paths would send dependents to the host's libraries), and checks that
// the binary and runtime files were installed. It returns the log of
// everything that ran. A failing step's error carries the step and the
// tail of its output; a failing configure also the tail of config.log.
func BuildProject(ctx context.Context, run Runner, p Project, env []string) ([]byte, error) {
	bs, ok := p.system()
	if !ok {
		return nil, fmt.Errorf("building %s: build = %q is no build system (have %s)", p.Recipe.Name, p.Recipe.BuildSystem(), strings.Join(buildSystemNames(), ", "))
	}
	var log bytes.Buffer
	for _, d := range []string{p.WorkDir, p.StageDir, p.depStage()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("creating %s: %w", d, err)
		}
	}
	for _, f := range p.Files() {
		if err := atomicfile.Write(f.Path, f.Data, f.Mode); err != nil {
			return nil, err
		}
	}
	for _, step := range p.Steps() {
		fmt.Fprintf(&log, "$ %s\n", step)
		out, err := bs.runStep(ctx, run, p, step, env)
		log.Write(out)
		if err != nil {
			return log.Bytes(), err
		}
	}
	if err := p.installed(); err != nil {
		return log.Bytes(), err
	}
	if f, ok := bs.(finisher); ok {
		return log.Bytes(), f.finish(p)
	}
	return log.Bytes(), nil
}

// A finisher is a build system with something to do once the whole cell
// has built (autotools shares what configure found).
type finisher interface {
	finish(p Project) error
}

// installed copies the built file a make recipe names and the recipe's
// install_files into the stage, removes a library's libtool archives, and checks that a program's
// binary and runtime files are in the stage.
func (p Project) installed() error {
	r := p.Recipe
	if r.Built != "" {
		if err := atomicfile.Copy(filepath.Join(p.SourceDir, r.Built), filepath.Join(p.StageDir, r.Binary), 0o755); err != nil {
			return fmt.Errorf("installing %s as %s: %w", r.Built, r.Binary, err)
		}
	}
	for _, dst := range slices.Sorted(maps.Keys(r.InstallFiles)) {
		src := filepath.Join(r.Dir, filepath.FromSlash(r.InstallFiles[dst].File))
		if err := atomicfile.Copy(src, filepath.Join(p.StageDir, filepath.FromSlash(dst)), 0o644); err != nil {
			return fmt.Errorf("installing recipes/%s/%s as %s: %w", r.Name, r.InstallFiles[dst].File, dst, err)
		}
	}
	if r.IsLibrary() {
		if err := removeLibtoolArchives(p.StageDir); err != nil {
			return err
		}
		return p.installedLibrary()
	}
	var missing []string
	for _, f := range append([]string{r.Binary}, r.RuntimeFiles...) {
		if st, err := os.Stat(filepath.Join(p.StageDir, filepath.FromSlash(f))); err != nil || !st.Mode().IsRegular() {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s was not installed (the stage holds %s): check binary and runtime_files in recipes/%s/recipe.toml",
			strings.Join(missing, ", "), stageListing(p.StageDir, 20), r.Name)
	}
	return nil
}

// libraryDirs are where a library's stage must hold something for its
// dependents to find (the prefix is /usr; lib64 for CMake's GNUInstallDirs).
var libraryDirs = []string{"usr/lib", "usr/lib64", "usr/include"}

// installedLibrary checks that a library installed a file its dependents
// can use: otherwise the dependent would fail later with the linker's
// "cannot find -lwidget", naming no library recipe.
func (p Project) installedLibrary() error {
	for _, d := range libraryDirs {
		found := false
		filepath.WalkDir(filepath.Join(p.StageDir, filepath.FromSlash(d)), func(_ string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				found = true
				return filepath.SkipAll
			}
			return nil
		})
		if found {
			return nil
		}
	}
	return fmt.Errorf("library %s installed no files under lib/ or include/ (the stage holds %s): check its install step, make_args or cmake_args in recipes/%s/recipe.toml",
		p.Recipe.Name, stageListing(p.StageDir, 20), p.Recipe.Name)
}

// runStep runs one step of a build system that needs nothing around it.
func runStep(ctx context.Context, run Runner, c Command, env []string) ([]byte, error) {
	out, err := run(ctx, c, env)
	if err != nil {
		return out, stepError(c, err, out)
	}
	return out, nil
}

// stepError is a failed step's error: the program, the error and the
// last lines of its output.
func stepError(c Command, err error, out []byte) error {
	return fmt.Errorf("%s: %v: %s", filepath.Base(c.Args[0]), err, tail(out, 40))
}

// buildSystemNames are the registered build systems' names, sorted.
func buildSystemNames() []string {
	var out []string
	for n := range buildSystems {
		out = append(out, string(n))
	}
	sort.Strings(out)
	return out
}

// tail is the last n lines of out.
func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

func removeLibtoolArchives(stage string) error {
	return filepath.WalkDir(stage, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".la") {
			return os.Remove(p)
		}
		return nil
	})
}

// stageListing names up to max files of the stage, for an error message.
func stageListing(stage string, max int) string {
	var files []string
	filepath.WalkDir(stage, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(stage, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(files)
	if len(files) == 0 {
		return "nothing"
	}
	if len(files) > max {
		files = append(files[:max], fmt.Sprintf("and %d more", len(files)-max))
	}
	return strings.Join(files, ", ")
}
