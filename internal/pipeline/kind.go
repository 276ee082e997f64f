package pipeline

import (
	"context"

	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/recipe"
)

// A kind is how a cell's binary is made, chosen once per job (Job.kind):
// a recipe of files compiled by the toolchain (filesBuild, files.go) or a
// project built by its own build system, its libraries first
// (projectBuild, project.go). Each gives its key's inputs, runs its steps
// and names its outputs; the cell's steps after compile read the outputs
// from the cell's folder alike (a project's lib/ and files/ are simply
// there).
type kind interface {
	// key is the action-cache key of the cell's build.
	key(b *Builder, j Job) (cache.Key, error)
	// build runs the cell's steps into out (the cell's folder to be) and
	// returns the log, with machine paths scrubbed, and the outputs the
	// action cache keeps, by name: the binary (named after the recipe)
	// and what belongs with it.
	build(ctx context.Context, b *Builder, j Job, out string) ([]byte, map[string]string, error)
	// describe fills what the matrix row says of the build besides its
	// cell and sizes.
	describe(j Job, row *matrix.Row)
	// sources are the recipes whose pinned sources the build compiled,
	// the cell's own first (a project and its libraries; none for a
	// recipe of files): what an SBOM names as the program's sources.
	sources(j Job) []*recipe.Recipe
}

// Sources are the recipes whose pinned sources j's build compiled, its
// own first, then its libraries in build order; none for a recipe of
// files.
func (j Job) Sources() []*recipe.Recipe { return j.kind().sources(j) }

// kind is the one place that asks which kind j's recipe is.
func (j Job) kind() kind {
	if j.Recipe != nil && j.Recipe.IsProject() {
		return projectBuild{}
	}
	return filesBuild{}
}
