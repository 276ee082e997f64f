package pipeline

import (
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// cellDir is the cell's folder in out/bin.
func (b *Builder) cellDir(c recipe.Cell) string {
	return outdir.Path(b.opts.OutDir).Bin(c)
}

// rel names p relative to the repository when it is inside it.
func (b *Builder) rel(p string) string {
	return workspace.Rel(b.opts.Root, p)
}
