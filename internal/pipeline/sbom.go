package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/release"
	"github.com/fromscratch/fromscratch/internal/source"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// CellFacts are what the SBOM of a cell says besides the cell itself:
// where its Debian packages come from.
type CellFacts struct {
	Distro release.Distro
	// Root is the build root the cell was built in; nil on the host.
	Root *release.BuildRoot
	// RootDir is that root's root/ directory, where its packages'
	// copyright files are read; "" on the host.
	RootDir string
	// FromscratchVersion names the SBOM's creator.
	FromscratchVersion string
}

// LockedFacts are the CellFacts of a build in the build root of lock,
// assembled in cacheDir.
func LockedFacts(cacheDir string, lock *debian.RootLock, version string) CellFacts {
	distro := release.Distro{ID: "debian", VersionID: SuiteVersion}
	return CellFacts{
		Distro: distro,
		Root: &release.BuildRoot{Digest: lock.Digest, Suite: lock.Suite, Distro: distro, Arch: lock.Arch,
			Packages: len(lock.Packages), Record: debian.BuildInfoName},
		RootDir:            filepath.Join(debian.RootDir(cacheDir, lock.ComputeDigest()), "root"),
		FromscratchVersion: version,
	}
}

// MountedTool describes the toolchain d when a hermetic build mounts it
// into the build root (zig, from its npm package); nil for one the root
// has (gcc).
func MountedTool(d *toolchain.Definition) (*release.MountedTool, error) {
	if d.Provision.Npm == "" {
		return nil, nil
	}
	sum, err := d.Provision.SHA512()
	if err != nil {
		return nil, fmt.Errorf("toolchains/%s: provision.%w", d.File, err)
	}
	_, version := d.Provision.Package()
	return &release.MountedTool{Name: d.Name, Version: version, Npm: d.Provision.Npm, URL: d.Provision.TarballURL(""), SHA512: sum}, nil
}

// CellSBOMInput is the SBOMInput of r's image, with every field but
// Name, Namespace, Created and ImageDigest, which the caller sets: the
// program with its licence, its sources and library recipes with theirs,
// the C library, the closure's files, the build root and mounted
// toolchain (facts), and where Debian packages' licences are read (the
// pinned runtime's packages, then the build root). store gives the
// recipes' licences (see RecipeLicense).
func CellSBOMInput(ctx context.Context, r *Result, facts CellFacts, store *source.Store) (release.SBOMInput, error) {
	var in release.SBOMInput
	bin, err := release.NewFileRef("/"+r.Job.Recipe.Name, r.Binary)
	if err != nil {
		return in, err
	}
	src, err := SourceDigest(r.Job.Recipe)
	if err != nil {
		return in, err
	}
	in = release.SBOMInput{
		FromscratchVersion: facts.FromscratchVersion,
		Binary:             bin,
		Recipe:             r.Job.Recipe.Name,
		ProgramVersion:     ProgramVersion(src),
		Toolchain:          r.Job.Def.Name,
		ToolchainVersion:   r.Job.Tool.Version,
		Linkage:            r.Job.Cell.Linkage,
		Distro:             facts.Distro,
		BuildRoot:          facts.Root,
	}
	if in.License, err = RecipeLicense(ctx, store, r.Job.Recipe); err != nil {
		return in, err
	}
	var dirs []string
	if rt := r.Runtime; rt != nil {
		for _, u := range rt.Packages {
			dirs = append(dirs, u.Dir)
		}
	}
	if facts.RootDir != "" {
		dirs = append(dirs, facts.RootDir)
	}
	in.DebLicense = DebLicenses(dirs...)
	if facts.Root != nil {
		if in.MountedTool, err = MountedTool(r.Job.Def); err != nil {
			return in, err
		}
	}
	if r.Job.Cell.Linkage == recipe.Static {
		if b := r.Job.Def.Static.BundledLibc; b != "" {
			name, ver, _ := strings.Cut(b, "@")
			in.StaticLibc = release.StaticLibc{Name: name, Version: ver}
		} else {
			in.StaticLibc = release.StaticLibc{Debian: r.Job.Tool.Target.StaticLibcPackage}
		}
	}
	if srcs := r.Job.Sources(); len(srcs) > 0 {
		if in.Source, err = projectSource(ctx, store, srcs[0]); err != nil {
			return in, err
		}
		for _, d := range srcs[1:] {
			s, err := projectSource(ctx, store, d)
			if err != nil {
				return in, err
			}
			in.Depends = append(in.Depends, *s)
		}
	}
	if in.RuntimeFiles, err = runtimeFiles(r); err != nil {
		return in, err
	}
	// The shared libraries a project cell's recipes built, kept in its
	// lib/ (the program's own and its dependencies'), by file name.
	cellLib := filepath.Join(filepath.Dir(r.Binary), "lib")
	built, err := LibraryRecipes(filepath.Dir(r.Binary))
	if err != nil {
		return in, err
	}
	if r.Closure != nil {
		for _, f := range r.Closure.Files {
			ref, err := release.NewFileRef(f.ImagePath, f.Source)
			if err != nil {
				return in, err
			}
			if filepath.Dir(f.Source) == cellLib {
				ref.Recipe = built[filepath.Base(f.Source)]
			}
			// A file of the pinned runtime is the one in the package the
			// SBOM names. (A project's own libraries, from its stage,
			// are not the runtime's.)
			if rt := r.Runtime; rt != nil {
				if _, _, ok := rt.Owner(f.Source); ok {
					if err := rt.Verify(ctx, f.Source, ref.SHA256); err != nil {
						return in, fmt.Errorf("%s: %w", f.ImagePath, err)
					}
				}
			}
			in.Libraries = append(in.Libraries, ref)
		}
	}
	return in, nil
}

// runtimeFiles describes the runtime files of r's image, kept in its
// cell's files/ (see projectOutputs), with the Debian package the
// recipe's install_files say each comes from and that package's licence,
// read from the copyright file the recipe vendors.
func runtimeFiles(r *Result) ([]release.RuntimeFile, error) {
	rc := r.Job.Recipe
	var out []release.RuntimeFile
	for _, f := range rc.RuntimeFiles {
		ref, err := release.NewFileRef("/"+f, filepath.Join(filepath.Dir(r.Binary), "files", filepath.FromSlash(f)))
		if err != nil {
			return nil, err
		}
		rf := release.RuntimeFile{FileRef: ref}
		if e := rc.InstallFiles[f]; e.Debian != "" {
			rf.Debian = &release.DebianFile{Package: e.Debian, Version: e.Version, Arch: "all", Recipe: rc.Name, License: installFileLicense(rc, f, e)}
		}
		out = append(out, rf)
	}
	return out, nil
}

// installFileLicense is the licence of the Debian package an install_files
// entry (of stage path dst) names: what the copyright file the recipe
// vendors for it says, NOASSERTION with the reason when it names none or
// the file gives none that is an SPDX expression.
func installFileLicense(rc *recipe.Recipe, dst string, e recipe.InstallFile) release.License {
	what := fmt.Sprintf("%s: recipes/%s/%s", e.Debian, rc.Name, e.Copyright)
	if e.Copyright == "" {
		return release.License{Expr: release.NoAssertion, Problem: fmt.Sprintf("%s: %s: install_files.%q names no copyright file of the package", e.Debian, rc.File(), dst)}
	}
	data, err := os.ReadFile(filepath.Join(rc.Dir, filepath.FromSlash(e.Copyright)))
	if err != nil {
		return release.License{Expr: release.NoAssertion, Problem: fmt.Sprintf("%s: %v", what, errors.Unwrap(err))}
	}
	return release.CopyrightLicense(what, data)
}

// projectSource describes what project recipe rc was built from, for the
// SBOM: its pins, its patches, its licence and the version its build gets.
func projectSource(ctx context.Context, store *source.Store, rc *recipe.Recipe) (*release.Source, error) {
	digest, err := SourceDigest(rc)
	if err != nil {
		return nil, err
	}
	s, err := release.NewSource(rc, ProgramVersion(digest), release.Distro{ID: "debian", VersionID: SuiteVersion})
	if err != nil {
		return nil, err
	}
	if s.License, err = RecipeLicense(ctx, store, rc); err != nil {
		return nil, err
	}
	return &s, nil
}
