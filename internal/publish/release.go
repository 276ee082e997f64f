// Package publish is what leaves the machine: out/release (the OCI
// layouts, an SPDX SBOM per image, the matrix and SHA256SUMS) and the push
// of out/'s indexes, with their SBOMs, to a registry.
package publish

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/release"
	"github.com/fromscratch/fromscratch/internal/toolchain"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// Options are what publishing needs from the front door.
type Options struct {
	// Engine are the configuration's engine options: the root, out/, the
	// build date, the matrix to build.
	Engine pipeline.Options
	// Build is the front door's build (the engine and the summary) while
	// out/'s lock is held.
	Build    func(context.Context, pipeline.Options) (*pipeline.Report, error)
	Run      toolchain.Runner // dpkg-query, for a build on the host
	Registry image.Registry
	Log      io.Writer
	Version  string // fromscratch's, named as the creator of every SBOM
	Signing  Signing

	host hostDebian // the host's dpkg and os-release; zero: systemDebian
	// inputs keeps a push's provenance inputs by recipe and toolchain:
	// every index and image of a variant has the same.
	inputs map[string][]release.ResourceDescriptor
}

// Released is what Release wrote.
type Released struct {
	Dir    string // out/release
	Report *pipeline.Report
	SBOMs  map[string]string // each image's SBOM in Dir, by its cell (recipe.Cell.String())
}

// Release builds the matrix, smoke runs included (unless FROMSCRATCH_SMOKE
// is off; a pass recorded for the same image is reused), and writes
// out/release/: oci/<recipe>/ (the multi-arch layouts),
// sbom/<recipe>_<variant>_<arch>.spdx.json, the matrix renderings with the
// smoke results but without their durations, for a build in the build
// root its record (buildroot.buildinfo: the lock's digest, every package,
// and the toolchains mounted into it: zig), and SHA256SUMS over all of it. It is written into a temp dir
// and renamed into place; two runs give the same bytes.
func Release(ctx context.Context, o Options) (*Released, error) {
	opts := o.Engine
	out := outdir.Path(opts.OutDir)
	unlock, err := out.Lock(o.Log) // held until out/release is in place
	if err != nil {
		return nil, err
	}
	defer unlock()
	rep, err := o.Build(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("building the release: %w", err)
	}
	final := out.Release()
	tmp, err := os.MkdirTemp(opts.OutDir, ".release"+outdir.TempMark)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := atomicfile.CopyTree(out.OCI(""), outdir.Path(tmp).OCI("")); err != nil {
		return nil, err
	}
	host := o.host
	if host == (hostDebian{}) {
		host = systemDebian
	}
	facts, err := newDebianFacts(opts, o.Run, host)
	if err != nil {
		return nil, err
	}
	record, err := facts.record(rep)
	if err != nil {
		return nil, err
	}
	if record != nil {
		if err := atomicfile.Write(filepath.Join(tmp, debian.BuildInfoName), record, 0o644); err != nil {
			return nil, err
		}
	}
	rel := &Released{Dir: string(final), Report: rep, SBOMs: map[string]string{}}
	for _, j := range rep.Jobs {
		r := rep.Results[j.Cell.String()]
		if r == nil || r.Err != nil {
			continue
		}
		doc, err := sbomOf(ctx, o, r, facts)
		if err != nil {
			return nil, fmt.Errorf("SBOM of %s: %w", j.Cell, err)
		}
		if err := atomicfile.Write(outdir.Path(tmp).SBOM(j.Cell), doc, 0o644); err != nil {
			return nil, err
		}
		rel.SBOMs[j.Cell.String()] = final.SBOM(j.Cell)
	}
	// Smoke durations vary from run to run; out/matrix.* keep them.
	if err := matrix.WriteAll(tmp, rep.Matrix.WithoutDurations()); err != nil {
		return nil, err
	}
	if err := release.WriteSHA256SUMS(tmp); err != nil {
		return nil, err
	}
	if o.Signing.Key != nil {
		if err := signSums(o.Signing.Key, tmp); err != nil {
			return nil, fmt.Errorf("signing %s: %w", release.SumsFile, err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	if err := atomicfile.ReplaceDir(tmp, string(final)); err != nil {
		return nil, fmt.Errorf("moving the release into place: %w", err)
	}
	fmt.Fprintf(o.Log, "release: %d images with their SBOMs, the matrix and SHA256SUMS in %s\n", len(rel.SBOMs), workspace.Rel(opts.Root, string(final)))
	return rel, nil
}

func sbomOf(ctx context.Context, o Options, r *pipeline.Result, facts *debianFacts) ([]byte, error) {
	res := pipeline.CellResolver(r, facts.res) // libraries from the pinned target packages first
	digest, err := r.Image.Digest()
	if err != nil {
		return nil, err
	}
	bin, err := release.NewFileRef("/"+r.Job.Recipe.Name, r.Binary)
	if err != nil {
		return nil, err
	}
	src, err := pipeline.SourceDigest(r.Job.Recipe)
	if err != nil {
		return nil, err
	}
	in := release.SBOMInput{
		Name:               r.Job.Cell.SBOMName(),
		Namespace:          fmt.Sprintf("https://fromscratch.invalid/spdx/%s-%s", r.Job.Cell.SBOMName(), digest.Hex),
		Created:            o.Engine.BuildDate,
		ImageDigest:        digest.String(),
		FromscratchVersion: o.Version,
		Binary:             bin,
		Recipe:             r.Job.Recipe.Name,
		ProgramVersion:     pipeline.ProgramVersion(src),
		Toolchain:          r.Job.Def.Name,
		ToolchainVersion:   r.Job.Tool.Version,
		Linkage:            r.Job.Cell.Linkage,
		Distro:             facts.distro,
		BuildRoot:          facts.root,
	}
	if facts.root != nil {
		if in.MountedTool, err = mountedTool(r.Job.Def); err != nil {
			return nil, err
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
		if in.Source, err = projectSource(srcs[0]); err != nil {
			return nil, err
		}
		for _, d := range srcs[1:] {
			s, err := projectSource(d)
			if err != nil {
				return nil, err
			}
			in.Depends = append(in.Depends, *s)
		}
	}
	// The shared libraries a project cell's recipes built, kept in its
	// lib/ (the program's own and its dependencies'), by file name.
	cellLib := filepath.Join(filepath.Dir(r.Binary), "lib")
	built, err := pipeline.LibraryRecipes(filepath.Dir(r.Binary))
	if err != nil {
		return nil, err
	}
	if r.Closure != nil {
		for _, f := range r.Closure.Files {
			ref, err := release.NewFileRef(f.ImagePath, f.Source)
			if err != nil {
				return nil, err
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
						return nil, fmt.Errorf("%s: %w", f.ImagePath, err)
					}
				}
			}
			in.Libraries = append(in.Libraries, ref)
		}
	}
	return release.SBOM(in, res)
}

// projectSource describes what project recipe rc was built from, for the
// SBOM: its pins, its patches and the version its build gets.
func projectSource(rc *recipe.Recipe) (*release.Source, error) {
	digest, err := pipeline.SourceDigest(rc)
	if err != nil {
		return nil, err
	}
	s, err := release.NewSource(rc, pipeline.ProgramVersion(digest), release.Distro{ID: "debian", VersionID: pipeline.SuiteVersion})
	if err != nil {
		return nil, err
	}
	return &s, nil
}
