package image

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
)

// RefNameAnnotation names an entry of a layout's index.json.
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// Index is a multi-arch image index: one image per platform, found in a layout by Name.
type Index struct {
	Name   string // e.g. "zig-static"; the ref name in index.json
	Images []v1.Image
	// Annotations of the index manifest; nil means those that every
	// image's manifest carries with one value (created, description, ...).
	Annotations map[string]string
}

// Entry is one named index read back from a layout.
type Entry struct {
	Name      string
	Index     v1.ImageIndex
	Platforms []string // e.g. "linux/arm/v7", in index order
}

// Descriptor is the descriptor of e's index: its media type, digest and
// size, as a registry it is pushed to serves it.
func (e Entry) Descriptor() (Descriptor, error) {
	mt, err := e.Index.MediaType()
	if err != nil {
		return Descriptor{}, err
	}
	h, err := e.Index.Digest()
	if err != nil {
		return Descriptor{}, err
	}
	n, err := e.Index.Size()
	if err != nil {
		return Descriptor{}, err
	}
	return Descriptor{MediaType: mt, Digest: h, Size: n}, nil
}

// WriteLayout writes one fresh OCI image layout at dir holding every index, named in index.json
// and sorted by name; the images inside each index are sorted by platform. Each index is followed
// in index.json by one entry per image, named PlatformRef(name, platform) (e.g.
// "gcc-dynamic-arm64"), so tools that want one image per ref (umoci, skopeo) find it without
// choosing a platform. The layout is written
// next to dir and renamed into place, so a failing write leaves the previous layout untouched and
// a successful one replaces it completely. dir must be absent, empty, or an OCI layout.
func WriteLayout(dir string, indexes []Index) error {
	top, err := topIndex(indexes)
	if err != nil {
		return err
	}
	return writeIndex(dir, top)
}

// WriteImageLayout writes a fresh OCI image layout at dir holding img alone: index.json has one
// entry, the image's manifest with its platform and refName. It is what single-image tools open
// without a ref or a platform to choose (`syft scan oci-dir:DIR`, `skopeo inspect oci:DIR`), which
// a multi-platform layout refuses them. Written and replaced as WriteLayout does.
func WriteImageLayout(dir string, img v1.Image, refName string) error {
	cfg, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("reading the config of %s: %w", refName, err)
	}
	desc, err := partial.Descriptor(img)
	if err != nil {
		return fmt.Errorf("describing %s: %w", refName, err)
	}
	desc.ArtifactType = "" // as in platformIndex
	desc.Platform = &v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
	desc.Annotations = map[string]string{RefNameAnnotation: refName}
	top := mutate.IndexMediaType(mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: describedImage{img, *desc}}), types.OCIImageIndex)
	return writeIndex(dir, top)
}

// writeIndex writes top as the layout at dir, next to it first, then renamed into place.
func writeIndex(dir string, top v1.ImageIndex) error {
	if err := checkReplaceable(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("creating parent of layout %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("creating temporary layout: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if _, err := layout.Write(tmp, top); err != nil {
		return fmt.Errorf("writing layout %s: %w", dir, err)
	}
	if err := normalizeModes(tmp); err != nil {
		return err
	}
	return atomicfile.ReplaceDir(tmp, dir)
}

// topIndex builds index.json's content: one child index per Index, annotated with its name, then
// its images, each annotated with its per-platform name.
func topIndex(indexes []Index) (v1.ImageIndex, error) {
	sorted := append([]Index(nil), indexes...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	var adds []mutate.IndexAddendum
	for i, ix := range sorted {
		if ix.Name == "" {
			return nil, fmt.Errorf("building layout: an index has an empty Name: name each one, e.g. \"gcc-static\"")
		}
		if i > 0 && sorted[i-1].Name == ix.Name {
			return nil, fmt.Errorf("building layout: index name %q appears twice: names must be unique", ix.Name)
		}
		child, err := platformIndex(ix)
		if err != nil {
			return nil, err
		}
		adds = append(adds, mutate.IndexAddendum{
			Add:        child,
			Descriptor: v1.Descriptor{Annotations: map[string]string{RefNameAnnotation: ix.Name}},
		})
		im, err := child.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("reading index %s: %w", ix.Name, err)
		}
		for _, m := range im.Manifests {
			img, err := child.Image(m.Digest)
			if err != nil {
				return nil, fmt.Errorf("reading the %s image of %s: %w", m.Platform, ix.Name, err)
			}
			desc := m
			desc.Annotations = map[string]string{RefNameAnnotation: PlatformRef(ix.Name, m.Platform.String())}
			adds = append(adds, mutate.IndexAddendum{Add: describedImage{img, desc}})
		}
	}
	return mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex), nil
}

// platformIndex builds one multi-arch index whose descriptors carry each image's platform.
func platformIndex(ix Index) (v1.ImageIndex, error) {
	type platformed struct {
		platform v1.Platform
		img      v1.Image
	}
	var imgs []platformed
	for _, img := range ix.Images {
		cfg, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("reading config of an image in %s: %w", ix.Name, err)
		}
		p := v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
		imgs = append(imgs, platformed{p, img})
	}
	sort.Slice(imgs, func(i, j int) bool { return imgs[i].platform.String() < imgs[j].platform.String() })
	var adds []mutate.IndexAddendum
	var manifests []*v1.Manifest
	for i, pi := range imgs {
		m, err := pi.img.Manifest()
		if err != nil {
			return nil, fmt.Errorf("reading the manifest of the %s image of %s: %w", pi.platform, ix.Name, err)
		}
		manifests = append(manifests, m)
		if i > 0 && imgs[i-1].platform.String() == pi.platform.String() {
			return nil, fmt.Errorf("building index %s: two images for %s: give one image per platform", ix.Name, pi.platform)
		}
		desc, err := partial.Descriptor(pi.img)
		if err != nil {
			return nil, fmt.Errorf("describing the %s image of %s: %w", pi.platform, ix.Name, err)
		}
		// go-containerregistry fills artifactType with the config media type; OCI reserves it
		// for artifacts, and docker's own indexes leave it out.
		desc.ArtifactType = ""
		desc.Platform = &pi.platform
		adds = append(adds, mutate.IndexAddendum{Add: describedImage{pi.img, *desc}})
	}
	idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
	annotations := ix.Annotations
	if annotations == nil {
		annotations = sharedAnnotations(manifests)
	}
	if len(annotations) == 0 {
		return idx, nil
	}
	annotated, ok := mutate.Annotations(idx, annotations).(v1.ImageIndex)
	if !ok {
		return nil, fmt.Errorf("annotating index %s: not an index", ix.Name)
	}
	return annotated, nil
}

// sharedAnnotations are the annotations every manifest carries with the same value.
func sharedAnnotations(manifests []*v1.Manifest) map[string]string {
	if len(manifests) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, v := range manifests[0].Annotations {
		out[k] = v
	}
	for _, m := range manifests[1:] {
		for k, v := range out {
			if m.Annotations[k] != v {
				delete(out, k)
			}
		}
	}
	return out
}

// describedImage is an image that describes itself in an index with a given descriptor.
type describedImage struct {
	v1.Image
	desc v1.Descriptor
}

func (d describedImage) Descriptor() (*v1.Descriptor, error) { return &d.desc, nil }

// checkReplaceable refuses to replace anything that is not an OCI layout (or empty), so a wrong
// path cannot delete someone's directory.
func checkReplaceable(dir string) error {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking layout %s: %w", dir, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("checking layout %s: it exists and is not a directory", dir)
	}
	names, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("checking layout %s: %w", dir, err)
	}
	if len(names) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		return fmt.Errorf("checking layout %s: it exists and is not an OCI layout (no oci-layout file); refusing to replace it", dir)
	}
	return nil
}

// normalizeModes sets 0755 on directories and 0644 on files, whatever the umask was.
func normalizeModes(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		if err := os.Chmod(p, mode); err != nil {
			return fmt.Errorf("setting mode of %s: %w", p, err)
		}
		return nil
	})
}

// ReadLayout lists the named indexes of a layout written by WriteLayout, in index.json order;
// the per-platform entries that name single images are left out.
func ReadLayout(dir string) ([]Entry, error) {
	top, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("reading layout %s: %w", dir, err)
	}
	im, err := top.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading index.json of %s: %w", dir, err)
	}
	var entries []Entry
	for _, desc := range im.Manifests {
		name := desc.Annotations[RefNameAnnotation]
		if desc.MediaType.IsImage() {
			continue // a per-platform ref to an image of an index
		}
		if !desc.MediaType.IsIndex() {
			return nil, fmt.Errorf("reading layout %s: %s (%s) is a %s, not an image index", dir, name, desc.Digest, desc.MediaType)
		}
		idx, err := top.ImageIndex(desc.Digest)
		if err != nil {
			return nil, fmt.Errorf("reading index %s: %w", name, err)
		}
		child, err := idx.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("reading index %s: %w", name, err)
		}
		e := Entry{Name: name, Index: idx}
		for _, m := range child.Manifests {
			if m.Platform != nil {
				e.Platforms = append(e.Platforms, m.Platform.String())
			}
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// Lookup finds the image for platform (e.g. "linux/arm/v7") in the index named refName.
func Lookup(dir, refName, platform string) (v1.Image, error) {
	entries, err := ReadLayout(dir)
	if err != nil {
		return nil, err
	}
	return Find(entries, dir, refName, platform)
}

// Find is Lookup in the entries ReadLayout read from dir (a caller that
// looks up many images of one layout reads it once).
func Find(entries []Entry, dir, refName, platform string) (v1.Image, error) {
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
		if e.Name != refName {
			continue
		}
		im, err := e.Index.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("reading index %s: %w", refName, err)
		}
		for _, m := range im.Manifests {
			if m.Platform != nil && m.Platform.String() == platform {
				img, err := e.Index.Image(m.Digest)
				if err != nil {
					return nil, fmt.Errorf("reading image %s %s: %w", refName, platform, err)
				}
				return img, nil
			}
		}
		return nil, fmt.Errorf("looking up %s in %s: no image for platform %q; have %s",
			refName, dir, platform, strings.Join(e.Platforms, ", "))
	}
	return nil, fmt.Errorf("looking up %s in %s: no such ref name; have %s", refName, dir, strings.Join(names, ", "))
}
