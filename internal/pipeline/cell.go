package pipeline

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/fromscratch/fromscratch/internal/elfdeps"
	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
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
	Image    v1.Image
	Archive  string // out/docker/...tar
	Sizes    image.Sizes
	Smoke    SmokeResult
	Err      error

	CompileKey   string // action-cache key of the compilation
	BinarySHA256 string
	Digest       string // image manifest digest
	// Compiled, Restored and UpToDate say where the binary came from: the
	// compiler, the action cache, or out/bin unchanged since the last run.
	Compiled, Restored, UpToDate bool
	// Reused: the image in out/ is the one this run would write.
	Reused bool
	stamp  *Stamp
}

// Dir is the cell's output folder:
// out/bin/<recipe>/<platform as one element>/<toolchain>-<linkage>.
func Dir(out string, c recipe.Cell) string {
	return filepath.Join(out, "bin", c.Recipe, c.Platform.Dir(), c.Variant())
}

// ArchivePath is out/docker/<recipe>_<toolchain>-<linkage>_<arch>.tar.
func ArchivePath(out string, c recipe.Cell) string {
	return filepath.Join(out, "docker", fmt.Sprintf("%s_%s_%s.tar", c.Recipe, c.Variant(), c.Platform.Arch()))
}

// Tag is the docker tag of a cell's archive: <recipe>:<variant>-<arch>.
func Tag(c recipe.Cell) string {
	return fmt.Sprintf("%s:%s-%s", c.Recipe, c.Variant(), c.Platform.Arch())
}

// step is one stage of a cell.
type step struct {
	name string
	run  func(ctx context.Context, cfg Config, r *Result) error
}

// cellSteps is the ordered life of a cell.
var cellSteps = []step{
	{"compile", compile},  // out/bin/.../<recipe> + build.log: kept, restored from the cache, or compiled
	{"linkage", checkELF}, // static/dynamic and machine verified from the ELF
	{"closure", closure},  // interpreter + DT_NEEDED from the target sysroot
	{"image", buildImage}, // scratch image, refused if it could not run; kept when unchanged
	{"archive", archive},  // docker-loadable tar in out/docker and the cell's stamp
}

// RunCell runs every step of one applicable cell.
func RunCell(ctx context.Context, cfg Config, run toolchain.Runner, j Job) *Result {
	r := &Result{Job: j}
	if _, ok := ctx.Value(servicesKey{}).(*services); !ok {
		ctx = context.WithValue(ctx, servicesKey{}, &services{run: run, memo: loadDigestMemo(cfg.CacheDir)})
	}
	for _, s := range cellSteps {
		if err := s.run(ctx, cfg, r); err != nil {
			r.Err = fmt.Errorf("%s: %w", s.name, err)
			return r
		}
	}
	return r
}

// rel names p relative to the repository when it is inside it.
func rel(cfg Config, p string) string {
	if r, err := filepath.Rel(cfg.Root, p); err == nil && r != ".." && !strings.HasPrefix(r, "../") {
		return r
	}
	return p
}

func checkELF(_ context.Context, _ Config, r *Result) error {
	info, err := elfdeps.InspectFile(r.Binary)
	if err != nil {
		return err
	}
	r.Info = info
	return CheckLinkage(info, r.Job.Cell.Platform, r.Job.Cell.Linkage)
}

// CheckLinkage verifies from the ELF that a binary is what its cell says:
// static means no PT_INTERP and no DT_NEEDED (static-pie included), dynamic
// means both, and the machine and class match the platform.
func CheckLinkage(info *elfdeps.Info, p recipe.Platform, l recipe.Linkage) error {
	m, c, err := elfdeps.MachineFor(string(p))
	if err != nil {
		return err
	}
	if info.Machine != m || info.Class != c {
		return fmt.Errorf("ELF is %s %s, %s needs %s %s", info.Machine, info.Class, p, m, c)
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

func closure(_ context.Context, _ Config, r *Result) error {
	if r.Job.Cell.Linkage == recipe.Static {
		return nil
	}
	t := r.Job.Tool.Target
	c, err := elfdeps.Resolve(r.Binary, elfdeps.Options{Sysroot: t.Sysroot, LibDirs: t.LibDirs, InterpDirs: t.LibDirs})
	if err != nil {
		return err
	}
	r.Closure = c
	return nil
}

// ImageFiles lays out the image of a binary and its closure: the binary at
// /<name> in the first layer, the loader and libraries in the second.
func ImageFiles(name, binary string, c *elfdeps.Closure) []image.Layer {
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

func buildImage(_ context.Context, cfg Config, r *Result) error {
	j := r.Job
	ikey := imageKey(cfg, r, r.CompileKey)
	if st := r.stamp; r.UpToDate && st.ImageKey == ikey {
		if fi, err := os.Stat(ArchivePath(cfg.OutDir, j.Cell)); err == nil && fi.Size() == st.ArchiveSize {
			if img, err := image.Lookup(filepath.Join(cfg.OutDir, "oci", j.Cell.Recipe), j.Cell.Variant(), string(j.Cell.Platform)); err == nil {
				if d, err := img.Digest(); err == nil && d.String() == st.Digest {
					r.Image, r.Digest, r.Sizes, r.Reused = img, st.Digest, st.Sizes, true
					r.Archive = ArchivePath(cfg.OutDir, j.Cell)
					return nil
				}
			}
		}
	}
	r.stamp = &Stamp{CompileKey: r.CompileKey, ImageKey: ikey, BinarySHA256: r.BinarySHA256}
	digest, err := SourceDigest(j.Recipe)
	if err != nil {
		return err
	}
	img, err := pack(j.Recipe.Name, r.Binary, r.Closure, image.Spec{
		Platform: string(j.Cell.Platform),
		Cmd:      j.Recipe.Smoke.Args,
		Labels: map[string]string{
			"org.opencontainers.image.title":    j.Recipe.Name,
			"dev.fromscratch.recipe":            j.Recipe.Name,
			"dev.fromscratch.toolchain":         j.Def.Name,
			"dev.fromscratch.toolchain.version": j.Tool.Version,
			"dev.fromscratch.linkage":           string(j.Cell.Linkage),
			"dev.fromscratch.libc":              j.Def.Linkage(j.Cell.Linkage).Libc,
			"dev.fromscratch.source.digest":     digest,
		},
		Created: cfg.BuildDate,
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

// pack lays out the image of a binary and its closure (see ImageFiles),
// refuses it if it could not start, and builds it: spec gives the platform,
// Cmd, labels and date; the layers and the entrypoint are filled in.
func pack(name, binary string, c *elfdeps.Closure, spec image.Spec) (v1.Image, error) {
	spec.Layers = ImageFiles(name, binary, c)
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
	m, c, err := elfdeps.MachineFor(string(p))
	if err != nil {
		return err
	}
	return elfdeps.Verify(files, elf.Machine(m), c)
}

func archive(_ context.Context, cfg Config, r *Result) error {
	if r.Reused {
		return nil
	}
	p := ArchivePath(cfg.OutDir, r.Job.Cell)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(p), err)
	}
	if err := image.WriteDockerArchive(p, Tag(r.Job.Cell), r.Image); err != nil {
		return err
	}
	r.Archive = p
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if r.Job.Recipe.Prebuilt != "" || cfg.ReuseBinaries {
		return nil // no compile key: nothing to stamp
	}
	r.stamp.ArchiveSize, r.stamp.Digest, r.stamp.Sizes = fi.Size(), r.Digest, r.Sizes
	return writeStamp(Dir(cfg.OutDir, r.Job.Cell), r.stamp)
}

// SourceDigest is sha256 over the recipe's inputs (names and contents, in
// sorted order): the label that ties an image to its sources.
func SourceDigest(rc *recipe.Recipe) (string, error) {
	inputs, err := rc.Inputs()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, in := range inputs {
		f, err := os.Open(filepath.Join(rc.Dir, in))
		if err != nil {
			return "", fmt.Errorf("hashing inputs of %s: %w", rc.Name, err)
		}
		fmt.Fprintf(h, "%s\x00", path.Clean(filepath.ToSlash(in)))
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("hashing inputs of %s: %w", rc.Name, err)
		}
		h.Write([]byte{0})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
