package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/matrix"
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
	return BuildRelease(ctx, cfg, toolchain.Exec)
}

// BuildRelease is Release for a given configuration.
func BuildRelease(ctx context.Context, cfg Config, run toolchain.Runner) error {
	cfg.Smoke = false
	rep, err := BuildAll(ctx, cfg, run)
	if err != nil {
		return fmt.Errorf("building the release: %w", err)
	}
	final := filepath.Join(cfg.OutDir, "release")
	tmp, err := os.MkdirTemp(cfg.OutDir, ".release-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := copySources(filepath.Join(cfg.OutDir, "oci"), filepath.Join(tmp, "oci"), false); err != nil {
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
		name := fmt.Sprintf("%s_%s_%s.spdx.json", j.Cell.Recipe, j.Cell.Variant(), j.Cell.Platform.Arch())
		if err := writeFile(filepath.Join(tmp, "sbom", name), doc); err != nil {
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
	if err := os.RemoveAll(final); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("moving the release into place: %w", err)
	}
	if cfg.Log != nil {
		fmt.Fprintf(cfg.Log, "release: %d images with their SBOMs, the matrix and SHA256SUMS in %s\n", n, rel(cfg, final))
	}
	return nil
}

func sbomOf(cfg Config, r *Result, res release.Resolver) ([]byte, error) {
	digest, err := r.Image.Digest()
	if err != nil {
		return nil, err
	}
	bin, err := fileRef("/"+r.Job.Recipe.Name, r.Binary)
	if err != nil {
		return nil, err
	}
	in := release.SBOMInput{
		Name:             fmt.Sprintf("%s-%s-%s", r.Job.Cell.Recipe, r.Job.Cell.Variant(), r.Job.Cell.Platform.Dir()),
		Namespace:        fmt.Sprintf("https://fromscratch.invalid/spdx/%s-%s-%s-%s", r.Job.Cell.Recipe, r.Job.Cell.Variant(), r.Job.Cell.Platform.Dir(), digest.Hex),
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

func writeFile(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}
