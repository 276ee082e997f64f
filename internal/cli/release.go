package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/release"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// Release builds the matrix, smoke runs included (unless FROMSCRATCH_SMOKE
// is off; a pass recorded for the same image is reused), and writes
// out/release/: oci/<recipe>/ (the multi-arch layouts),
// sbom/<recipe>_<variant>_<arch>.spdx.json, the matrix renderings with the
// smoke results but without their durations, and SHA256SUMS over all of
// it. It is written into a temp dir and renamed into place; two runs give
// the same bytes.
func (c *CLI) Release(ctx context.Context) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	return c.release(ctx, cfg, c.run)
}

// release is Release for a given configuration and compiler runner.
func (c *CLI) release(ctx context.Context, cfg Config, run toolchain.Runner) error {
	unlock, err := lockOut(cfg.OutDir, c.out) // held until out/release is in place
	if err != nil {
		return err
	}
	defer unlock()
	rep, err := c.buildHeld(ctx, cfg, c.options(cfg), run)
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
	res := release.NewDpkgResolver("/var/lib/dpkg/info", release.DpkgQuery(func(ctx context.Context, argv, env []string) ([]byte, error) {
		return run(ctx, toolchain.Command{Args: argv}, env)
	}))
	distro, err := hostDistro()
	if err != nil {
		return err
	}
	n := 0
	for _, j := range rep.Jobs {
		r := rep.Results[j.Cell.String()]
		if r == nil || r.Err != nil {
			continue
		}
		doc, err := sbomOf(ctx, cfg, r, res, distro)
		if err != nil {
			return fmt.Errorf("SBOM of %s: %w", j.Cell, err)
		}
		if err := atomicfile.Write(filepath.Join(tmp, filepath.FromSlash(j.Cell.SBOMFile())), doc, 0o644); err != nil {
			return err
		}
		n++
	}
	// Smoke durations vary from run to run; out/matrix.* keep them.
	if err := matrix.WriteAll(tmp, rep.Matrix.WithoutDurations()); err != nil {
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

// Version is fromscratch's version, named as the creator of every SBOM.
const Version = "0.3.0"

func sbomOf(ctx context.Context, cfg Config, r *pipeline.Result, res release.Resolver, distro release.Distro) ([]byte, error) {
	if rt := r.Runtime; rt != nil { // libraries from the pinned target packages
		res = release.NewPinnedResolver(func(p string) (release.Origin, bool) {
			pin, _, ok := rt.Owner(p)
			return release.Origin{Package: pin.Name, Version: pin.Version, Arch: pin.Architecture}, ok
		}, res)
	}
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
		Created:            cfg.BuildDate,
		ImageDigest:        digest.String(),
		FromscratchVersion: Version,
		Binary:             bin,
		Recipe:             r.Job.Recipe.Name,
		ProgramVersion:     pipeline.ProgramVersion(src),
		Toolchain:          r.Job.Def.Name,
		ToolchainVersion:   r.Job.Tool.Version,
		Linkage:            r.Job.Cell.Linkage,
		Distro:             distro,
	}
	if r.Job.Cell.Linkage == recipe.Static {
		if b := r.Job.Def.Static.BundledLibc; b != "" {
			name, ver, _ := strings.Cut(b, "@")
			in.StaticLibc = release.StaticLibc{Name: name, Version: ver}
		} else {
			in.StaticLibc = release.StaticLibc{Debian: r.Job.Tool.Target.StaticLibcPackage}
		}
	}
	if rc := r.Job.Recipe; rc.IsProject() {
		if in.Source, err = projectSource(rc); err != nil {
			return nil, err
		}
		for _, d := range r.Job.Deps {
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

// hostDistro reads /etc/os-release: the distribution whose packages the
// images' libraries come from.
func hostDistro() (release.Distro, error) {
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return release.Distro{}, fmt.Errorf("reading the distribution: %w", err)
	}
	return release.ParseOSRelease(data)
}
