package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/elfdeps"
	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/spell"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// Wrap packs an existing ELF program with its closure into a scratch image:
// out/wrap/<name>/oci (an OCI layout with index "wrap") and
// out/wrap/<name>/image.tar tagged <name>:wrap, where name is the file's
// base name made a valid image name ("Hello World" -> "hello-world"). The
// folder is written whole or not at all.
func (c *CLI) Wrap(ctx context.Context, path string) error {
	cfg, defs, err := c.configAndToolchains()
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	base := filepath.Base(abs)
	name, err := recipe.ImageName(base)
	if err != nil {
		return fmt.Errorf("%s %s: %w", spell.Verb("image:wrap"), path, err)
	}
	target, linkage, err := pipeline.TargetFor(abs, defs)
	if err != nil {
		return fmt.Errorf("%s %s: %w", spell.Verb("image:wrap"), path, err)
	}
	var cl *elfdeps.Closure
	if linkage == recipe.Dynamic {
		opts := elfdeps.Options{Sysroot: target.Sysroot, LibDirs: target.LibDirs, InterpDirs: target.LibDirs}
		rt, err := c.runtimeFor(ctx, cfg, string(target.Platform))
		if err != nil {
			return err
		}
		if rt != nil { // the pinned target-architecture packages, as build:all uses
			opts = elfdeps.Options{Sysroot: rt.Sysroot, LibDirs: rt.LibDirs, InterpDirs: rt.LibDirs}
		}
		if cl, err = elfdeps.Resolve(abs, opts); err != nil {
			return err
		}
	}
	img, err := pipeline.Pack(name, abs, cl, image.Spec{
		Platform: string(target.Platform),
		Labels:   map[string]string{"org.opencontainers.image.title": base, "dev.fromscratch.linkage": string(linkage)},
		Created:  cfg.BuildDate,
	})
	if err != nil {
		return err
	}
	unlock, err := outdir.Path(cfg.OutDir).Lock(c.log)
	if err != nil {
		return err
	}
	defer unlock()
	dir := outdir.Path(cfg.OutDir).Wrap(name)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+name+outdir.TempMark)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := image.WriteLayout(filepath.Join(tmp, outdir.WrapLayout), []image.Index{{Name: "wrap", Images: []image.Image{img}}}); err != nil {
		return err
	}
	tag := name + ":wrap"
	if err := image.WriteDockerArchive(filepath.Join(tmp, outdir.WrapArchive), tag, img); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := atomicfile.ReplaceDir(tmp, dir); err != nil {
		return err
	}
	sizes, err := image.SizesOf(img)
	if err != nil {
		return err
	}
	n := 0
	if cl != nil {
		n = len(cl.Files)
	}
	fmt.Fprintf(c.out, "wrapped %s (%s, %s, %d libraries): %s\n  OCI layout: %s\n  docker archive: %s (docker load -i ... && docker run --rm %s)\n",
		base, target.Platform, linkage, n, matrix.HumanBytes(sizes.LayersUncompressed),
		workspace.Rel(cfg.Root, filepath.Join(dir, outdir.WrapLayout)), workspace.Rel(cfg.Root, filepath.Join(dir, outdir.WrapArchive)), tag)
	return nil
}
