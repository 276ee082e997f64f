// Package publish is what leaves the machine: out/release (the OCI
// layouts, an SPDX SBOM per image, the matrix and SHA256SUMS) and the push
// of out/'s indexes, with their SBOMs, to a registry.
package publish

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/pipeline"
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
	unknown := map[string]bool{} // why a licence is not known, once each
	for _, j := range rep.Jobs {
		r := rep.Results[j.Cell.String()]
		if r == nil || r.Err != nil {
			continue
		}
		doc, err := sbomOf(ctx, o, r, facts, unknown)
		if err != nil {
			return nil, fmt.Errorf("SBOM of %s: %w", j.Cell, err)
		}
		if err := atomicfile.Write(outdir.Path(tmp).SBOM(j.Cell), doc, 0o644); err != nil {
			return nil, err
		}
		rel.SBOMs[j.Cell.String()] = final.SBOM(j.Cell)
	}
	// Smoke durations and the warnings read from build logs vary from run
	// to run; out/matrix.* keep them.
	if err := matrix.WriteAll(tmp, rep.Matrix.ForRelease()); err != nil {
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
	for _, p := range slices.Sorted(maps.Keys(unknown)) {
		fmt.Fprintf(o.Log, "release: licence unknown (NOASSERTION in the SBOMs): %s\n", p)
	}
	fmt.Fprintf(o.Log, "release: %d images with their SBOMs, the matrix and SHA256SUMS in %s\n", len(rel.SBOMs), workspace.Rel(opts.Root, string(final)))
	return rel, nil
}

// sbomOf is r's SBOM; the reason of each licence it cannot tell is added
// to unknown.
func sbomOf(ctx context.Context, o Options, r *pipeline.Result, facts *debianFacts, unknown map[string]bool) ([]byte, error) {
	res := pipeline.CellResolver(r, facts.res) // libraries from the pinned target packages first
	digest, err := r.Image.Digest()
	if err != nil {
		return nil, err
	}
	cf := pipeline.CellFacts{Distro: facts.distro, FromscratchVersion: o.Version}
	if facts.lock != nil {
		cf = pipeline.LockedFacts(o.Engine.CacheDir, facts.lock, o.Version)
	}
	in, err := pipeline.CellSBOMInput(ctx, r, cf, o.Engine.Sources())
	if err != nil {
		return nil, err
	}
	in.Name = r.Job.Cell.SBOMName()
	in.Namespace = fmt.Sprintf("https://fromscratch.invalid/spdx/%s-%s", r.Job.Cell.SBOMName(), digest.Hex)
	in.Created = o.Engine.BuildDate
	in.ImageDigest = digest.String()
	note := func(l release.License) release.License {
		if !l.Known() && l.Problem != "" {
			unknown[l.Problem] = true
		}
		return l
	}
	note(in.License)
	if in.Source != nil {
		note(in.Source.License)
	}
	for _, d := range in.Depends {
		note(d.License)
	}
	for _, f := range in.RuntimeFiles {
		if f.Debian != nil {
			note(f.Debian.License)
		}
	}
	debLicense := in.DebLicense
	in.DebLicense = func(pkg string) release.License { return note(debLicense(pkg)) }
	return release.SBOM(in, res)
}
