package pipeline

import (
	"fmt"

	"github.com/fromscratch/fromscratch/internal/elfdeps"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// prebuiltToolchain is the toolchain name of cells packed from an existing
// ELF file instead of sources.
const prebuiltToolchain = "prebuilt"

// prebuiltJob is the one cell of a prebuilt recipe: its platform and
// linkage are read from the ELF file, its libraries are looked for where
// the toolchains' targets for that platform keep them.
func prebuiltJob(r *recipe.Recipe, defs []*toolchain.Definition) Job {
	j := Job{Recipe: r, Def: &toolchain.Definition{Name: prebuiltToolchain}}
	j.Cell = recipe.Cell{Recipe: r.Name, Toolchain: prebuiltToolchain, Platform: recipe.AMD64, Linkage: recipe.Static}
	target, linkage, err := TargetFor(r.Prebuilt, defs)
	if err != nil {
		j.Status, j.Reason = matrix.StatusFailed, fmt.Sprintf("recipes/%s/%s: field prebuilt: %v", r.Name, recipe.FileName, err)
		return j
	}
	j.Cell.Platform, j.Cell.Linkage = target.Platform, linkage
	j.Tool = toolchain.Status{Def: j.Def, Target: target, Available: true}
	return j
}

// TargetFor reads an ELF program and finds its platform, linkage and where
// its libraries are.
func TargetFor(path string, defs []*toolchain.Definition) (toolchain.Target, recipe.Linkage, error) {
	info, err := elfdeps.Program(path)
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
				if t.RuntimeArch == "" {
					t.RuntimeArch, t.RuntimePackages = dt.RuntimeArch, dt.RuntimePackages
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
