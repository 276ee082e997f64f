package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/elfdeps"
	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/smoke"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// Origin says where a cell's binary came from.
type Origin string

const (
	OriginKept     Origin = "kept"     // out/bin unchanged since the last run
	OriginRestored Origin = "restored" // the action cache
	OriginCompiled Origin = "compiled" // the compiler, this run
	OriginTaken    Origin = "taken"    // out/bin as it is (image:all) or a prebuilt file
)

// Result is what one cell produced. Steps fill it in order; a failed step
// sets Err and the later steps do not run.
type Result struct {
	Job      Job
	Binary   string // out/bin/.../<recipe>
	Log      string // out/bin/.../build.log
	Warnings []string
	Info     *elfdeps.Info
	Closure  *elfdeps.Closure
	Image    image.Image
	Archive  string // out/docker/...tar
	Sizes    image.Sizes
	Smoke    smoke.Result
	// SmokeRecorded: Smoke is the pass an earlier run recorded for this
	// very image and expectation, not a run of this one.
	SmokeRecorded bool
	Err           error

	CompileKey   string // action-cache key of the compilation
	key          cache.Key
	BinarySHA256 string
	Digest       string // image manifest digest
	Origin       Origin
	// ImageReused: the image in out/ is the one this run would write.
	ImageReused bool
	stamp       *stamp

	// Runtime is the pinned Debian runtime the closure was resolved from
	// (it names each library's package for the SBOM); nil when the
	// target keeps its sysroot.
	Runtime *debian.Runtime
}

// step is one stage of a cell.
type step struct {
	name string
	run  func(b *Builder, ctx context.Context, r *Result) error
}

// cellSteps is the ordered life of a cell.
var cellSteps = []step{
	{"compile", (*Builder).compile},  // out/bin/.../<recipe> + build.log: kept, restored, compiled or taken
	{"linkage", (*Builder).checkELF}, // static/dynamic and machine verified from the ELF
	{"closure", (*Builder).closure},  // interpreter + DT_NEEDED from the target sysroot
	{"image", (*Builder).buildImage}, // scratch image, refused if it could not run; kept when unchanged
	{"archive", (*Builder).archive},  // docker-loadable tar in out/docker and the cell's stamp
}

// runCell runs every step of one applicable cell.
func (b *Builder) runCell(ctx context.Context, j Job) *Result {
	r := &Result{Job: j}
	for _, s := range cellSteps {
		if err := s.run(b, ctx, r); err != nil {
			r.Err = fmt.Errorf("%s: %w", s.name, err)
			return r
		}
	}
	return r
}

func (b *Builder) checkELF(_ context.Context, r *Result) error {
	info, err := b.elf.InspectFile(r.Binary)
	if err != nil {
		return err
	}
	r.Info = info
	if err := checkLinkage(info, r.Job.Cell.Platform, r.Job.Cell.Linkage); err != nil {
		return err
	}
	if r.Job.Def != nil && r.Job.Def.Strips(r.Job.Cell.Linkage) {
		return checkStripped(info)
	}
	return nil
}

// checkStripped fails a binary that holds a symbol table though its cell
// links with -s. It is a failure rather than a strip after the fact: a
// build that dropped the cell's -s dropped the rest of the cell's LDFLAGS
// too (-static, the build id, the dependencies' -L), and only the recipe
// can pass them back.
func checkStripped(info *elfdeps.Info) error {
	if !info.Symtab {
		return nil
	}
	return errors.New("the binary holds a symbol table (.symtab) though the cell links with -s: " +
		"the build replaced the cell's LDFLAGS (a configure or Makefile that sets its own, or make_args with LDFLAGS=); " +
		"pass them back with make_args = [\"LDFLAGS={ldflags}\"], or a patch")
}

// checkLinkage verifies from the ELF that a binary is what its cell says:
// static means no PT_INTERP and no DT_NEEDED (static-pie included), dynamic
// means both, and the ELF header (machine, class, byte order, ABI flags)
// is the platform's.
func checkLinkage(info *elfdeps.Info, p recipe.Platform, l recipe.Linkage) error {
	f, err := elfdeps.FactsFor(string(p))
	if err != nil {
		return err
	}
	if err := elfdeps.CheckPlatform(info, f); err != nil {
		return err
	}
	switch l {
	case recipe.Static:
		if info.Interp != "" || len(info.Needed) > 0 {
			return fmt.Errorf("static cell links dynamically: PT_INTERP %q, DT_NEEDED %v", info.Interp, info.Needed)
		}
	case recipe.Dynamic:
		if info.Interp == "" || len(info.Needed) == 0 {
			return fmt.Errorf("dynamic cell is not dynamically linked: PT_INTERP %q, DT_NEEDED %v", info.Interp, info.Needed)
		}
	}
	return nil
}

func (b *Builder) closure(ctx context.Context, r *Result) error {
	if r.Job.Cell.Linkage == recipe.Static {
		return nil
	}
	t := r.Job.Tool.Target
	opts := elfdeps.Options{Sysroot: t.Sysroot, LibDirs: t.LibDirs, InterpDirs: t.LibDirs}
	if b.opts.BuildRoot != nil && t.RuntimeArch == "" {
		// The runtime files are the build root's, which its lock pins:
		// no image byte comes from the host.
		dir, err := b.runtimeRoot(ctx)
		if err != nil {
			return err
		}
		opts = underRoot(dir, t)
	}
	if t.RuntimeArch != "" { // the pinned target-architecture packages
		rt, err := b.runtime(ctx, t)
		if err != nil {
			return err
		}
		r.Runtime = rt
		opts = elfdeps.Options{Sysroot: rt.Sysroot, LibDirs: rt.LibDirs, InterpDirs: rt.LibDirs}
	}
	// The shared libraries the cell's build kept next to the binary (a
	// dynamic project's own and its dependencies').
	if lib := filepath.Join(filepath.Dir(r.Binary), "lib"); isDir(lib) {
		opts.LibDirs = append([]string{lib}, opts.LibDirs...)
	}
	opts.Memo = &b.elf
	c, err := elfdeps.Resolve(r.Binary, opts)
	if err != nil {
		return err
	}
	r.Closure = c
	return nil
}

// imageFiles lays out the image of a binary and its closure: the binary at
// /<name> in the first layer, the loader and libraries in the second.
func imageFiles(name, binary string, c *elfdeps.Closure) []image.Layer {
	layers := []image.Layer{{
		CreatedBy: fmt.Sprintf("COPY %s /", name),
		Files:     []image.File{{Path: "/" + name, Source: binary, Mode: 0o755}},
	}}
	if c == nil || len(c.Files) == 0 {
		return layers
	}
	var files []image.File
	tops := map[string]bool{}
	for _, f := range c.Files {
		mode := os.FileMode(0o644)
		if f.Role == "interpreter" {
			mode = 0o755
		}
		files = append(files, image.File{Path: f.ImagePath, Source: f.Source, Mode: mode})
		tops[strings.SplitN(strings.TrimPrefix(f.ImagePath, "/"), "/", 2)[0]] = true
	}
	var dirs []string
	for d := range tops {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	createdBy := fmt.Sprintf("COPY %s /%s", dirs[0], dirs[0])
	if len(dirs) > 1 {
		createdBy = fmt.Sprintf("COPY %s /", strings.Join(dirs, " "))
	}
	return append(layers, image.Layer{CreatedBy: createdBy, Files: files})
}

func (b *Builder) buildImage(ctx context.Context, r *Result) error {
	j := r.Job
	ikey := b.imageKey(r)
	if st := r.stamp; r.Origin == OriginKept && st.imageReusable(b.opts.OutDir, ikey, cache.FileDigest) {
		if img, err := b.layout.lookup(outdir.Path(b.opts.OutDir).OCI(j.Cell.Recipe), j.Cell.Variant(), string(j.Cell.Platform)); err == nil {
			if d, err := img.Digest(); err == nil && d.String() == st.Digest {
				r.Image, r.Digest, r.Sizes, r.ImageReused = img, st.Digest, st.Sizes, true
				r.Archive = outdir.Path(b.opts.OutDir).Archive(j.Cell)
				return nil
			}
		}
	}
	prev := r.stamp
	r.stamp = &stamp{CompileKey: r.CompileKey, ImageKey: ikey, BinarySHA256: r.BinarySHA256}
	if r.Origin == OriginTaken && prev != nil {
		// image:all repacks a binary build:all made: the stamp keeps its
		// compile key (so the next build:all keeps the binary) and its
		// smoke pass, which counts only for the same image (the smoke key
		// holds the digest).
		r.stamp.CompileKey, r.stamp.Smoke = prev.CompileKey, prev.Smoke
	}
	digest, err := sourceDigest(j.Recipe, b.memo.Digest)
	if err != nil {
		return err
	}
	var extra []image.Layer
	if files := j.Recipe.RuntimeFiles; len(files) > 0 { // a project's, kept in the cell's files/
		l := image.Layer{CreatedBy: "COPY " + strings.Join(files, " ") + " /"}
		for _, f := range files {
			src := filepath.Join(filepath.Dir(r.Binary), "files", filepath.FromSlash(f))
			l.Files = append(l.Files, image.File{Path: "/" + f, Source: src, Mode: runtimeFileMode(src)})
		}
		extra = append(extra, l)
	}
	lic, err := b.license(ctx, j.Recipe)
	if err != nil {
		return err
	}
	licenses := ""
	if lic.Known() {
		licenses = lic.Expr
	}
	scan, err := b.scanLayer(ctx, r, filepath.Join(b.cellDir(j.Cell), scanDir))
	if err != nil {
		return fmt.Errorf("describing the image for scanners: %w", err)
	}
	extra = append(extra, scan...)
	img, err := Pack(j.Recipe.Name, r.Binary, r.Closure, image.Spec{
		Layers:   extra,
		Platform: string(j.Cell.Platform),
		Cmd:      j.Recipe.Args(j.Cell.Linkage).SmokeArgs,
		Labels: map[string]string{
			"dev.fromscratch.recipe":            j.Recipe.Name,
			"dev.fromscratch.toolchain":         j.Def.Name,
			"dev.fromscratch.toolchain.version": j.Tool.Version,
			"dev.fromscratch.linkage":           string(j.Cell.Linkage),
			"dev.fromscratch.libc":              j.Def.Linkage(j.Cell.Linkage).Libc,
			"dev.fromscratch.source.digest":     digest,
		},
		Metadata: image.Metadata{
			Title:       j.Recipe.Name,
			Description: j.Recipe.Description,
			Source:      b.opts.Source,
			Revision:    b.opts.Revision,
			Version:     ProgramVersion(digest),
			Licenses:    licenses,
		},
		Created: b.opts.BuildDate,
	})
	if err != nil {
		return err
	}
	r.Image = img
	d, err := img.Digest()
	if err != nil {
		return err
	}
	r.Digest = d.String()
	r.Sizes, err = image.SizesOf(img)
	return err
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// Pack lays out the image of a binary and its closure (see imageFiles)
// followed by spec's own layers (a project's runtime files),
// refuses it if it could not start, and builds it: spec gives the platform,
// Cmd, labels and date; the layers and the entrypoint are filled in.
func Pack(name, binary string, c *elfdeps.Closure, spec image.Spec) (image.Image, error) {
	spec.Layers = append(imageFiles(name, binary, c), spec.Layers...)
	spec.Entrypoint = []string{"/" + name}
	// Refuse an image that would fail with "exec /<name>: no such file or
	// directory": the loader and every library must be inside it.
	files := map[string]string{}
	for _, l := range spec.Layers {
		for _, f := range l.Files {
			files[f.Path] = f.Source
		}
	}
	if err := verify(files, recipe.Platform(spec.Platform)); err != nil {
		return nil, err
	}
	return image.Build(spec)
}

func verify(files map[string]string, p recipe.Platform) error {
	f, err := elfdeps.FactsFor(string(p))
	if err != nil {
		return err
	}
	return elfdeps.Verify(files, f)
}

func (b *Builder) archive(_ context.Context, r *Result) error {
	if r.ImageReused {
		return nil
	}
	p := outdir.Path(b.opts.OutDir).Archive(r.Job.Cell)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := image.WriteDockerArchive(p, r.Job.Cell.Tag(), r.Image); err != nil {
		return err
	}
	if err := writeImageLayout(outdir.Path(b.opts.OutDir), r.Job.Cell, r.Image); err != nil {
		return err
	}
	r.Archive = p
	r.stamp.Digest, r.stamp.Sizes = r.Digest, r.Sizes
	if r.stamp.CompileKey == "" {
		return nil // a prebuilt file, or a binary no stamp describes: nothing to stamp
	}
	return r.stamp.record(b.cellDir(r.Job.Cell))
}

// writeImageLayout writes the cell's own layout, images/<stem>: its image
// alone, named by its tag's variant and arch (e.g. gcc-dynamic-arm64).
func writeImageLayout(out outdir.Path, c recipe.Cell, img image.Image) error {
	dir := out.Image(c)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	if err := image.WriteImageLayout(dir, img, image.PlatformRef(c.Variant(), string(c.Platform))); err != nil {
		return fmt.Errorf("writing the layout of %s: %w", c, err)
	}
	return nil
}

// ProgramVersion is the version images and SBOMs give a recipe's program:
// "0+src." and 12 hex digits of its SourceDigest.
func ProgramVersion(sourceDigest string) string {
	hex := strings.TrimPrefix(sourceDigest, "sha256:")
	return "0+src." + hex[:min(12, len(hex))]
}

// SourceDigest is sha256 over the recipe's inputs (names and digests, in
// sorted order, recipe.toml by its build fields as in compile keys): the
// label that ties an image to its sources. It changes only with what
// changes the compile key, so a kept image's label is never stale.
func SourceDigest(rc *recipe.Recipe) (string, error) {
	return sourceDigest(rc, cache.FileDigest)
}

// sourceDigest is SourceDigest with the files hashed by digest.
func sourceDigest(rc *recipe.Recipe, digest digester) (string, error) {
	inputs, err := rc.Inputs()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, in := range inputs {
		d, err := inputDigest(rc, in, digest)
		if err != nil {
			return "", fmt.Errorf("hashing inputs of %s: %w", rc.Name, err)
		}
		fmt.Fprintf(h, "%s\x00%s\x00", path.Clean(filepath.ToSlash(in)), d)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// underRoot are the closure options of target t with its sysroot and
// library directories inside the build root at dir.
func underRoot(dir string, t toolchain.Target) elfdeps.Options {
	libs := make([]string, len(t.LibDirs))
	for i, d := range t.LibDirs {
		libs[i] = filepath.Join(dir, d)
	}
	return elfdeps.Options{Sysroot: filepath.Join(dir, t.Sysroot), LibDirs: libs, InterpDirs: libs}
}
