package pipeline

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/elfdeps"
	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/release"
)

// What scanners read in an image (Options.NoScanData turns it off), the
// way distroless images are made readable:
//
//   - every program fromscratch compiles carries an ELF package note
//     (.note.package, systemd's format): the recipe, its version, and the
//     Debian source package it was built from, if any;
//   - every Debian package whose files the image carries has a dpkg status
//     entry under /var/lib/dpkg/status.d/ (see statusd.go);
//   - the image's SPDX SBOM is inside it (see statusd.go).

// programNote is the package note of j's program, with its licence
// (an SPDX expression, or "").
func programNote(j Job, source, license string, digest digester) (elfdeps.PackageNote, error) {
	return recipeNote(j.Recipe, j.Cell.Platform, source, license, digest)
}

// recipeNote is the package note of what rc built for platform: its
// program, or a shared library of a library recipe.
func recipeNote(rc *recipe.Recipe, platform recipe.Platform, source, license string, fileDigest digester) (elfdeps.PackageNote, error) {
	digest, err := sourceDigest(rc, fileDigest)
	if err != nil {
		return elfdeps.PackageNote{}, err
	}
	f, ok := platform.Facts()
	if !ok {
		return elfdeps.PackageNote{}, fmt.Errorf("platform %s has no facts", platform)
	}
	n := elfdeps.PackageNote{
		Name:         rc.Name,
		Version:      ProgramVersion(digest),
		Architecture: f.DebianArch,
		SourceRepo:   source,
		License:      license,
	}
	if s := rc.Source; s.Kind() == recipe.SourceDebian {
		n.DebianSource, n.DebianSourceVersion = s.Debian, s.Version
	}
	return n, nil
}

// notes says whether j's program gets a package note: every compiled one
// (a prebuilt file is not fromscratch's to change), unless turned off.
func (b *Builder) notes(j Job) bool { return !b.opts.NoScanData && j.Recipe.Prebuilt == "" }

// notedKey is the compile key of a program with a package note: base's,
// with the note's bytes, so that turning notes off gives back exactly
// the keys (and cache entries) of programs without them.
func (b *Builder) notedKey(j Job, base cache.Key) (cache.Key, error) {
	if !b.notes(j) {
		return base, nil
	}
	// The licence a Debian source's debian/copyright gives is a function
	// of its pins, which base covers; a declared one is not in base.
	payload, err := b.notePayload(j, j.Recipe.License)
	if err != nil {
		return cache.Key{}, err
	}
	extra := map[string]string{"base": base.String(), "package_note": string(payload)}
	for _, rc := range j.Sources() { // the notes of its shared libraries
		extra["license/"+rc.Name] = rc.License
	}
	in := cache.Inputs{Extra: extra}
	return in.Key(), nil
}

func (b *Builder) notePayload(j Job, license string) ([]byte, error) {
	n, err := programNote(j, b.opts.Source, license, b.memo.Digest)
	if err != nil {
		return nil, err
	}
	return n.Payload()
}

// addNote writes j's package note into the program just built (files
// are the build's outputs by name), and the note of its recipe into each
// shared library a recipe built (a dynamic project cell's lib/, whose
// libraries.json names the recipes).
func (b *Builder) addNote(ctx context.Context, j Job, files map[string]string) error {
	if !b.notes(j) {
		return nil
	}
	note := func(rc *recipe.Recipe, path string) error {
		lic, err := b.license(ctx, rc)
		if err != nil {
			return err
		}
		license := ""
		if lic.Known() {
			license = lic.Expr
		}
		n, err := recipeNote(rc, j.Cell.Platform, b.opts.Source, license, b.memo.Digest)
		if err != nil {
			return err
		}
		payload, err := n.Payload()
		if err != nil {
			return err
		}
		return elfdeps.AddPackageNote(path, payload)
	}
	if err := note(j.Recipe, files[j.Recipe.Name]); err != nil {
		return err
	}
	lj, ok := files[LibrariesFile]
	if !ok {
		return nil
	}
	origins, err := LibraryRecipes(filepath.Dir(lj))
	if err != nil {
		return err
	}
	byName := map[string]*recipe.Recipe{}
	for _, rc := range j.Sources() {
		byName[rc.Name] = rc
	}
	for _, lib := range slices.Sorted(maps.Keys(origins)) {
		rc, path := byName[origins[lib]], files["lib/"+lib]
		if rc == nil || path == "" {
			return fmt.Errorf("%s: %s names %s, built by recipe %q, which this cell has no file or recipe of", LibrariesFile, lib, lib, origins[lib])
		}
		if err := note(rc, path); err != nil {
			return err
		}
	}
	return nil
}

// RootResolver is where the Debian facts of a build in the build root of
// lock (assembled in cacheDir) come from: which locked package installed
// a file of the root (its contents) and each package's name, version,
// architecture and source (the lock). Nothing of the host is read. A root
// that was never assembled (every cell static) has no contents and needs
// none.
func RootResolver(cacheDir string, lock *debian.RootLock) (release.Resolver, error) {
	contents, err := debian.ReadRootContents(cacheDir, lock)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	origin := func(p debian.Package) release.Origin {
		return release.Origin{Package: p.Name, Version: p.Version, Arch: p.Architecture, Source: p.Source}
	}
	owner := func(hostPath string) (release.Origin, bool) {
		if contents == nil {
			return release.Origin{}, false
		}
		p, ok := contents.Owner(hostPath)
		return origin(p), ok
	}
	find := func(name string) (release.Origin, bool) {
		p, ok := lock.Find(name)
		return origin(p), ok
	}
	return release.NewLockedResolver(owner, find), nil
}

// CellResolver is res with, first, the pinned runtime of r's closure
// (arm64 and armhf dynamic images), whose lock names each file's package.
func CellResolver(r *Result, res release.Resolver) release.Resolver {
	rt := r.Runtime
	if rt == nil {
		return res
	}
	return release.NewPinnedResolver(func(p string) (release.Origin, bool) {
		pin, _, ok := rt.Owner(p)
		return release.Origin{Package: pin.Name, Version: pin.Version, Arch: pin.Architecture, Source: pin.Source}, ok
	}, res)
}

// rootFacts is the build root's resolver, made once per run.
type rootFacts struct {
	once sync.Once
	res  release.Resolver
	err  error
}

// resolver is where r's Debian facts come from: its pinned runtime, then
// the build root's lock; nil on the host (FROMSCRATCH_HERMETIC=0), whose
// dpkg is not asked here: its images get no status entries.
func (b *Builder) resolver(r *Result) (release.Resolver, error) {
	var res release.Resolver
	if br := b.opts.BuildRoot; br != nil && br.Lock != nil {
		b.facts.once.Do(func() { b.facts.res, b.facts.err = RootResolver(b.opts.CacheDir, br.Lock) })
		if b.facts.err != nil {
			return nil, b.facts.err
		}
		res = b.facts.res
	}
	if res == nil && r.Runtime == nil {
		return nil, nil
	}
	return CellResolver(r, res), nil
}

// debPackage is a Debian package whose files an image carries, with
// those files (image path -> host file); a static libc has none.
type debPackage struct {
	release.Origin
	files map[string]string
}

// imagePackages are the Debian packages of r's image, by name: the
// package of each closure file, for a static program the one its C
// library was linked from (libc6-dev, musl-dev, a cross libc6-dev), and
// the one each runtime file's install_files entry names.
func imagePackages(r *Result, res release.Resolver) []debPackage {
	if res == nil {
		return nil
	}
	byName := map[string]*debPackage{}
	add := func(o release.Origin) *debPackage {
		if byName[o.Package] == nil {
			byName[o.Package] = &debPackage{Origin: o, files: map[string]string{}}
		}
		return byName[o.Package]
	}
	if r.Closure != nil {
		for _, f := range r.Closure.Files {
			if o, ok := res.Origin(f.Source); ok {
				add(o).files[f.ImagePath] = f.Source
			}
		}
	}
	if r.Job.Cell.Linkage == recipe.Static && r.Job.Def.Static.BundledLibc == "" {
		if o, ok := res.Package(r.Job.Tool.Target.StaticLibcPackage); ok {
			add(o)
		}
	}
	// The package a runtime file was taken from, as its recipe declares
	// it (curl's ca-certificates), without md5sums: the file is made from
	// the package's files (or copied from the recipe folder), and dpkg
	// would not list it as one of them.
	for _, f := range r.Job.Recipe.RuntimeFiles {
		if e := r.Job.Recipe.InstallFiles[f]; e.Debian != "" && byName[e.Debian] == nil {
			add(release.Origin{Package: e.Debian, Version: e.Version, Arch: "all"})
		}
	}
	out := make([]debPackage, 0, len(byName))
	for _, n := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, *byName[n])
	}
	return out
}

// scanLayer writes, into dir, what scanners read of r's image besides its
// program's note: a dpkg status entry (and the md5sums of its files) per
// Debian package, and os-release naming the distribution they come from;
// and returns the layer that carries them (none when r has no Debian
// package).
func (b *Builder) scanLayer(ctx context.Context, r *Result, dir string) ([]image.Layer, error) {
	if b.opts.NoScanData {
		return nil, nil
	}
	res, err := b.resolver(r)
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, nil
	}
	files := map[string][]byte{}
	if br := b.opts.BuildRoot; br != nil && br.Lock != nil {
		doc, err := b.imageSBOM(ctx, r, res)
		if err != nil {
			return nil, fmt.Errorf("the SBOM inside the image: %w", err)
		}
		files[release.ImageSBOMPath(r.Job.Cell.SBOMName())] = doc
	}
	pkgs := imagePackages(r, res)
	if len(pkgs) > 0 {
		files[release.OSReleasePath] = release.OSRelease(release.Distro{ID: "debian", VersionID: SuiteVersion}, Suite, b.opts.Source)
	}
	if len(files) == 0 {
		return nil, nil
	}
	for _, p := range pkgs {
		entry, err := release.StatusEntry(p.Origin)
		if err != nil {
			return nil, err
		}
		files[path.Join(release.StatusDir, p.Package)] = entry
		if len(p.files) > 0 {
			if files[path.Join(release.StatusDir, p.Package+".md5sums")], err = release.MD5Sums(p.files); err != nil {
				return nil, err
			}
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	l := image.Layer{CreatedBy: "COPY status.d os-release sbom /" + scanLayerMark}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		src := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
			return nil, err
		}
		if err := atomicfile.Write(src, files[p], 0o644); err != nil {
			return nil, err
		}
		l.Files = append(l.Files, image.File{Path: p, Source: src, Mode: 0o644})
	}
	return []image.Layer{l}, nil
}

// imageSBOM is the SPDX document r's image carries: what the release's
// SBOM says of the image's contents (the program, its sources and
// licences, the C library, the Debian packages and the files), without the
// build root and the mounted toolchain, which are not in the image, and
// without the image's digest, which a file inside the image cannot know.
// Its namespace is made of the image's files' digests.
func (b *Builder) imageSBOM(ctx context.Context, r *Result, res release.Resolver) ([]byte, error) {
	br := b.opts.BuildRoot
	facts := LockedFacts(b.opts.CacheDir, br.Lock, b.opts.FromscratchVersion)
	facts.Root = nil // not in the image
	if facts.FromscratchVersion == "" {
		facts.FromscratchVersion = "unknown"
	}
	in, err := CellSBOMInput(ctx, r, facts, b.sources())
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", in.Binary.SHA256)
	for _, l := range in.Libraries {
		fmt.Fprintf(h, "%s\x00%s\x00", l.ImagePath, l.SHA256)
	}
	for _, f := range in.RuntimeFiles { // only when there are some: the other images' namespaces stay
		fmt.Fprintf(h, "%s\x00%s\x00", f.ImagePath, f.SHA256)
	}
	in.Name, in.InImage = r.Job.Cell.SBOMName(), true
	in.Namespace = fmt.Sprintf("https://fromscratch.invalid/spdx/%s-in-image-%x", in.Name, h.Sum(nil)[:16])
	in.Created = b.opts.BuildDate
	return release.SBOM(in, res)
}

// scanLayerMark ends the history entry of the scan layer.
const scanLayerMark = " # what scanners read"

// scanDir is the folder of a cell's out/bin folder where the files of
// its scan layer are written before they are packed.
const scanDir = "scan"

// scanBytes is what r's image carries for scanners: the files of its
// scan layer and its program's package note (the note's section, its
// section header and its name in the section-name table).
func scanBytes(r *Result) int64 {
	var n int64
	if r.Image != nil {
		if cfg, err := r.Image.ConfigFile(); err == nil {
			layer := 0
			for _, h := range cfg.History {
				if h.EmptyLayer {
					continue
				}
				if strings.HasSuffix(h.CreatedBy, scanLayerMark) && layer < len(r.Sizes.PerLayer) {
					n += r.Sizes.PerLayer[layer].Content
				}
				layer++
			}
		}
	}
	if r.Binary != "" {
		if f, err := elf.Open(r.Binary); err == nil {
			if s := f.Section(elfdeps.PackageNoteSection); s != nil {
				hdr := int64(64)
				if f.Class == elf.ELFCLASS32 {
					hdr = 40
				}
				n += int64(s.Size) + hdr + int64(len(elfdeps.PackageNoteSection)+1)
			}
			f.Close()
		}
	}
	return n
}
