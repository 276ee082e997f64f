package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/release"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// Release builds the matrix (without smoke runs, whose timings would make
// the bytes differ) and writes out/release/: oci/<recipe>/ (the multi-arch
// layouts), sbom/<recipe>_<variant>_<arch>.spdx.json, the matrix
// renderings and SHA256SUMS over all of it. It is written into a temp dir
// and renamed into place; two runs give the same bytes.
func (c *CLI) Release(ctx context.Context) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	return c.release(ctx, cfg, c.run)
}

// release is Release for a given configuration and compiler runner.
func (c *CLI) release(ctx context.Context, cfg Config, run toolchain.Runner) error {
	opts := c.options(cfg)
	opts.Smoke = false
	rep, err := c.build(ctx, cfg, opts, run)
	if err != nil {
		return fmt.Errorf("building the release: %w", err)
	}
	final := filepath.Join(cfg.OutDir, "release")
	tmp, err := os.MkdirTemp(cfg.OutDir, ".release"+pipeline.TempMark)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := copyTree(filepath.Join(cfg.OutDir, "oci"), filepath.Join(tmp, "oci"), false); err != nil {
		return err
	}
	res := release.NewDpkgResolver("/var/lib/dpkg/info", release.DpkgVersion)
	n := 0
	for _, j := range rep.Jobs {
		r := rep.Results[j.Cell.String()]
		if r == nil || r.Err != nil {
			continue
		}
		doc, err := sbomOf(cfg, r, res)
		if err != nil {
			return fmt.Errorf("SBOM of %s: %w", j.Cell, err)
		}
		if err := atomicfile.Write(filepath.Join(tmp, filepath.FromSlash(j.Cell.SBOMFile())), doc, 0o644); err != nil {
			return err
		}
		n++
	}
	if err := matrix.WriteAll(tmp, rep.Matrix); err != nil {
		return err
	}
	if err := release.WriteSHA256SUMS(tmp); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := atomicfile.ReplaceDir(tmp, final); err != nil {
		return fmt.Errorf("moving the release into place: %w", err)
	}
	fmt.Fprintf(c.out, "release: %d images with their SBOMs, the matrix and SHA256SUMS in %s\n", n, relTo(cfg.Root, final))
	return nil
}

func sbomOf(cfg Config, r *pipeline.Result, res release.Resolver) ([]byte, error) {
	digest, err := r.Image.Digest()
	if err != nil {
		return nil, err
	}
	bin, err := fileRef("/"+r.Job.Recipe.Name, r.Binary)
	if err != nil {
		return nil, err
	}
	in := release.SBOMInput{
		Name:             r.Job.Cell.SBOMName(),
		Namespace:        fmt.Sprintf("https://fromscratch.invalid/spdx/%s-%s", r.Job.Cell.SBOMName(), digest.Hex),
		Created:          cfg.BuildDate,
		ImageDigest:      digest.String(),
		Binary:           bin,
		Recipe:           r.Job.Recipe.Name,
		Toolchain:        r.Job.Def.Name,
		ToolchainVersion: r.Job.Tool.Version,
	}
	if r.Closure != nil {
		for _, f := range r.Closure.Files {
			ref, err := fileRef(f.ImagePath, f.Source)
			if err != nil {
				return nil, err
			}
			in.Libraries = append(in.Libraries, ref)
		}
	}
	return release.SBOM(in, res)
}

func fileRef(imagePath, host string) (release.FileRef, error) {
	sum, err := cache.FileDigest(host)
	if err != nil {
		return release.FileRef{}, err
	}
	st, err := os.Stat(host)
	if err != nil {
		return release.FileRef{}, err
	}
	return release.FileRef{ImagePath: imagePath, HostPath: host, SHA256: sum, Size: st.Size()}, nil
}
