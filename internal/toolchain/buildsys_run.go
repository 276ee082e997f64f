package toolchain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/recipe"
)

// BuildProject builds the project cell p: it writes the wrapper scripts
// and toolchain file (Files), starts configure from the shared
// config.cache (FilterConfigCache), runs Steps with env (Project.Env of the
// cell's explicit environment), copies the built file for a make recipe
// without an install target, removes libtool's .la files from a library's
// stage (their absolute /usr/lib paths would send dependents to the
// host's libraries), and checks that the binary and runtime files were
// installed. It returns the log of everything that ran. A failing step's
// error carries the step and the tail of its output; a failing configure
// also the tail of config.log, which stays in the source tree.
func BuildProject(ctx context.Context, run Runner, p Project, env []string) ([]byte, error) {
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
	autotools := p.Recipe.BuildSystem() == recipe.BuildAutotools
	useCache := autotools && p.ConfigCache != "" && !p.Recipe.PlainConfigure()
	localCache := filepath.Join(p.WorkDir, "config.cache")
	if useCache {
		data, err := os.ReadFile(p.ConfigCache)
		if err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("reading the configure cache: %w", err)
		}
		if err := atomicfile.Write(localCache, FilterConfigCache(data), 0o644); err != nil {
			return nil, err
		}
	}
	for _, step := range p.Steps() {
		fmt.Fprintf(&log, "$ %s\n", step)
		out, err := run(ctx, step, env)
		log.Write(out)
		if err != nil {
			msg := fmt.Sprintf("%s: %v: %s", filepath.Base(step.Args[0]), err, tail(out, 40))
			if autotools && step.Args[0] == "./configure" {
				if cl, rerr := os.ReadFile(filepath.Join(p.SourceDir, "config.log")); rerr == nil {
					msg += "\nthe end of config.log (kept in the source tree):\n" + tail(cl, 30)
				}
			}
			return log.Bytes(), errors.New(msg)
		}
		if useCache && step.Args[0] == "./configure" {
			// The next configure of this toolchain, platform and linkage
			// starts from what this one found (last writer wins; each
			// write is a whole, filtered cache).
			if data, err := os.ReadFile(localCache); err == nil {
				if err := atomicfile.Write(p.ConfigCache, FilterConfigCache(data), 0o644); err != nil {
					return log.Bytes(), err
				}
			}
		}
	}
	r := p.Recipe
	if r.Built != "" {
		if err := atomicfile.Copy(filepath.Join(p.SourceDir, r.Built), filepath.Join(p.StageDir, r.Binary), 0o755); err != nil {
			return log.Bytes(), fmt.Errorf("installing %s as %s: %w", r.Built, r.Binary, err)
		}
	}
	if r.IsLibrary() {
		if err := removeLibtoolArchives(p.StageDir); err != nil {
			return log.Bytes(), err
		}
		return log.Bytes(), nil
	}
	var missing []string
	for _, f := range append([]string{r.Binary}, r.RuntimeFiles...) {
		if st, err := os.Stat(filepath.Join(p.StageDir, filepath.FromSlash(f))); err != nil || !st.Mode().IsRegular() {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return log.Bytes(), fmt.Errorf("%s was not installed (the stage holds %s): check binary and runtime_files in recipes/%s/recipe.toml",
			strings.Join(missing, ", "), stageListing(p.StageDir, 20), r.Name)
	}
	return log.Bytes(), nil
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
