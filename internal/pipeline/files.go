package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// filesBuild is the kind of a recipe of files (build = "files", the
// default): the toolchain compiles and links the sources the recipe
// lists, in its folder, by a toolchain.Plan. Its only output is the
// program.
type filesBuild struct{}

// plan is the one place a toolchain.Plan is assembled: the job's
// toolchain, target, linkage and recipe, objects in workDir, the program
// at output.
func (j Job) plan(workDir, output string) toolchain.Plan {
	return toolchain.Plan{
		Def: j.Def, Target: j.Tool.Target, Linkage: j.Cell.Linkage, Recipe: j.Recipe,
		Resolved: j.Tool.Resolved, WorkDir: workDir, Output: output,
		InRoot: toolchain.InRoot(j.Tool.Resolved[toolchain.Expand(j.Def.CC, j.Tool.Target, j.Cell.Linkage)[0]]),
	}
}

// key covers the shared inputs (keyInputs), the compiler's command lines
// with the recipe folder and work folder as placeholders and the commands
// by name, and every input file of the recipe.
func (filesBuild) key(b *Builder, j Job) (cache.Key, error) {
	rc := *j.Recipe
	rc.Dir = keySrc
	kj := j
	kj.Recipe = &rc
	kj.Tool.Resolved = nil // commands by name: the key holds no machine path
	plan := kj.plan(keyWork+"/obj", keyWork+"/"+rc.Name)
	in, err := b.keyInputs(j, plan, map[string]string{"schema": "1"})
	if err != nil {
		return cache.Key{}, err
	}
	for _, s := range plan.Steps() {
		in.Argv = append(in.Argv, s.Args)
	}
	if err := recipeInputs(in, j.Recipe, b.memo.Digest); err != nil {
		return cache.Key{}, err
	}
	return in.Key(), nil
}

// build compiles the program into out, objects in out/obj (removed
// after), with the job's step runner: out is its one writable place, the
// recipe folder is read-only.
func (filesBuild) build(ctx context.Context, b *Builder, j Job, out string) ([]byte, map[string]string, error) {
	if _, err := b.buildTempRoot(); err != nil { // the steps' TMPDIR
		return nil, nil, err
	}
	plan := j.plan(filepath.Join(out, "obj"), filepath.Join(out, j.Recipe.Name))
	// In the build root, the cell's compiles and link share one sandbox.
	plan.Batched = b.opts.BuildRoot != nil
	if err := os.MkdirAll(plan.WorkDir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("creating the object dir: %w", err)
	}
	run, err := b.stepRunner(ctx, j, []string{out}, []string{j.Recipe.Dir})
	if err != nil {
		return nil, nil, err
	}
	log, berr := b.runBuild(ctx, run, j, plan)
	log = b.scrubPaths(log, out)
	if err := os.RemoveAll(plan.WorkDir); err != nil {
		return log, nil, fmt.Errorf("removing objects: %w", err)
	}
	return log, map[string]string{j.Recipe.Name: plan.Output}, berr
}

// describe: a recipe of files has no build system, source or
// dependencies to name.
func (filesBuild) describe(Job, *matrix.Row) {}

func (filesBuild) sources(Job) []*recipe.Recipe { return nil }

// scrubPaths replaces the machine's directories in a log with stable names.
// Tools print resolved paths (zig names the files of its lib/ by its real
// location), so the cache's linked entries (bench and the workflow test
// link a shared zig/ into a fresh cache) and the cache's own real path are
// $CACHE too.
func (b *Builder) scrubPaths(log []byte, tmp string) []byte {
	log = bytes.ReplaceAll(log, []byte(tmp), []byte("$OUT"))
	log = bytes.ReplaceAll(log, []byte(b.opts.Root), []byte("$ROOT"))
	ents, _ := os.ReadDir(b.opts.CacheDir)
	for _, e := range ents {
		if e.Type()&os.ModeSymlink == 0 {
			continue
		}
		if real, err := filepath.EvalSymlinks(filepath.Join(b.opts.CacheDir, e.Name())); err == nil {
			log = bytes.ReplaceAll(log, []byte(real+"/"), []byte("$CACHE/"+e.Name()+"/"))
		}
	}
	if real, err := filepath.EvalSymlinks(b.opts.CacheDir); err == nil && real != b.opts.CacheDir {
		log = bytes.ReplaceAll(log, []byte(real+"/"), []byte("$CACHE/"))
	}
	return bytes.ReplaceAll(log, []byte(b.opts.CacheDir), []byte("$CACHE"))
}

// CompileTo compiles a job's program into dir with the cell's exact
// commands and environment, bypassing out/ and the action cache (the
// Dockerfile way of bench compiles like this). It returns the program's
// path; objects are left in dir/obj.
func (b *Builder) CompileTo(ctx context.Context, j Job, dir string) (string, error) {
	plan := j.plan(filepath.Join(dir, "obj"), filepath.Join(dir, j.Recipe.Name))
	if _, err := b.buildTempRoot(); err != nil { // the steps' TMPDIR
		return "", err
	}
	if _, err := b.runBuild(ctx, b.run, j, plan); err != nil {
		return "", err
	}
	return plan.Output, nil
}
