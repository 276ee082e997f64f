package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/fromscratch/fromscratch/internal/elfdeps"
	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// PrebuiltToolchain is the toolchain name of cells packed from an existing
// ELF file instead of sources.
const PrebuiltToolchain = "prebuilt"

// prebuiltJob is the one cell of a prebuilt recipe: its platform and
// linkage are read from the ELF file, its libraries are looked for where
// the toolchains' targets for that platform keep them.
func prebuiltJob(r *recipe.Recipe, defs []*toolchain.Definition) Job {
	j := Job{Recipe: r, Def: &toolchain.Definition{Name: PrebuiltToolchain}}
	j.Cell = recipe.Cell{Recipe: r.Name, Toolchain: PrebuiltToolchain, Platform: recipe.AMD64, Linkage: recipe.Static}
	target, linkage, err := targetFor(r.Prebuilt, defs)
	if err != nil {
		j.Status, j.Reason = StatusUnavailable, err.Error()
		return j
	}
	j.Cell.Platform, j.Cell.Linkage = target.Platform, linkage
	j.Tool = toolchain.Status{Def: j.Def, Target: target, Available: true}
	return j
}

// targetFor reads an ELF file and finds its platform, linkage and where its
// libraries are.
func targetFor(path string, defs []*toolchain.Definition) (toolchain.Target, recipe.Linkage, error) {
	info, err := elfdeps.InspectFile(path)
	if err != nil {
		return toolchain.Target{}, "", err
	}
	for _, p := range recipe.Platforms {
		m, c, _ := elfdeps.MachineFor(string(p))
		if m != info.Machine || c != info.Class {
			continue
		}
		t := toolchain.Target{Platform: p}
		seen := map[string]bool{}
		for _, d := range defs {
			if dt, ok := d.Target(p); ok {
				if t.Sysroot == "" {
					t.Sysroot = dt.Sysroot
				}
				for _, dir := range dt.LibDirs {
					if !seen[dir] {
						seen[dir] = true
						t.LibDirs = append(t.LibDirs, dir)
					}
				}
			}
		}
		l := recipe.Dynamic
		if info.Static() {
			l = recipe.Static
		}
		return t, l, nil
	}
	return toolchain.Target{}, "", fmt.Errorf("%s is %s %s: no supported platform (allowed: %s)", path, info.Machine, info.Class, recipe.PlatformList())
}

// Wrap packs an existing ELF file with its closure into a scratch image:
// out/wrap/<basename>/oci (an OCI layout with index "wrap") and
// out/wrap/<basename>/image.tar tagged <basename>:wrap.
func (c *CLI) Wrap(_ context.Context, path string) error {
	cfg, defs, err := c.configAndToolchains()
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	base := filepath.Base(abs)
	target, linkage, err := targetFor(abs, defs)
	if err != nil {
		return err
	}
	var cl *elfdeps.Closure
	if linkage == recipe.Dynamic {
		if cl, err = elfdeps.Resolve(abs, elfdeps.Options{Sysroot: target.Sysroot, LibDirs: target.LibDirs, InterpDirs: target.LibDirs}); err != nil {
			return err
		}
	}
	img, err := pack(base, abs, cl, image.Spec{
		Platform: string(target.Platform),
		Labels:   map[string]string{"org.opencontainers.image.title": base, "dev.fromscratch.linkage": string(linkage)},
		Created:  cfg.BuildDate,
	})
	if err != nil {
		return err
	}
	dir := filepath.Join(cfg.OutDir, "wrap", base)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := image.WriteLayout(filepath.Join(dir, "oci"), []image.Index{{Name: "wrap", Images: []v1.Image{img}}}); err != nil {
		return err
	}
	tag := base + ":wrap"
	if err := image.WriteDockerArchive(filepath.Join(dir, "image.tar"), tag, img); err != nil {
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
		base, target.Platform, linkage, n, matrix.HumanBytes(sizes.LayersUncompressed), rel(cfg, filepath.Join(dir, "oci")), rel(cfg, filepath.Join(dir, "image.tar")), tag)
	return nil
}
