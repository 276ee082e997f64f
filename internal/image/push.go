package image

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Pushed is a multi-arch index as the registry has it after PushIndex.
type Pushed struct {
	Ref    string       // registry/repository:tag
	Digest string       // sha256:<hex>, equal to the index's digest in the layout
	Images []Descriptor // the index's image manifests, with their platforms
}

// PushIndex pushes idx and every image in it to ref (registry/repository:tag)
// and checks that the registry serves the tag with idx's own digest.
// Blobs and manifests the registry already has are not sent again
// (go-containerregistry asks with HEAD first), so a push cut off halfway
// completes when run again, and a second push sends no blob.
func (r Registry) PushIndex(ctx context.Context, ref string, idx v1.ImageIndex) (Pushed, error) {
	tag, err := parseRef(ref)
	if err != nil {
		return Pushed{}, err
	}
	want, err := idx.Digest()
	if err != nil {
		return Pushed{}, fmt.Errorf("computing the digest of %s: %w", ref, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return Pushed{}, fmt.Errorf("reading the index of %s: %w", ref, err)
	}
	reg := tag.Context().RegistryStr()
	if err := remote.WriteIndex(tag, idx, r.options(ctx)...); err != nil {
		return Pushed{}, fmt.Errorf("pushing %s: %w", ref, explain(reg, err))
	}
	got, err := remote.Head(tag, r.options(ctx)...)
	if err != nil {
		return Pushed{}, fmt.Errorf("checking %s after the push: %w", ref, explain(reg, err))
	}
	if got.Digest != want {
		return Pushed{}, fmt.Errorf("pushing %s: the registry serves digest %s, the layout has %s", ref, got.Digest, want)
	}
	return Pushed{Ref: tag.String(), Digest: want.String(), Images: im.Manifests}, nil
}

// Attach pushes content as an OCI artifact referring to subject (a
// manifest in repo): an image manifest with artifactType, the empty
// config, one layer of media type artifactType titled title, and subject.
// It returns the artifact's reference, repo@sha256:<hex>. Referrer-aware
// tools find it through the registry's referrers API, or, on registries
// without one (distribution 2.8), through the referrers tag schema: the
// index tagged sha256-<subject hex>, which go-containerregistry updates.
// Attaching the same content again changes nothing.
func (r Registry) Attach(ctx context.Context, repo string, subject Descriptor, artifactType, title string, content []byte) (string, error) {
	rp, err := parseRepo(repo)
	if err != nil {
		return "", err
	}
	layer := static.NewLayer(content, types.MediaType(artifactType))
	art, err := newArtifact(artifactType, []artifactLayer{{layer: layer, annotations: map[string]string{TitleAnnotation: title}}}, &Descriptor{
		MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size,
	}, nil)
	if err != nil {
		return "", fmt.Errorf("building the %s artifact for %s: %w", artifactType, subject.Digest, err)
	}
	d, err := art.Digest()
	if err != nil {
		return "", err
	}
	ref := rp.Digest(d.String())
	if err := remote.Write(ref, art, r.options(ctx)...); err != nil {
		return "", fmt.Errorf("attaching %s to %s@%s: %w", title, repo, subject.Digest, explain(rp.RegistryStr(), err))
	}
	return ref.String(), nil
}

// Referrers lists the artifacts referring to repo@digest, of artifactType
// ("" for all), through the referrers API or the referrers tag schema.
func (r Registry) Referrers(ctx context.Context, repo, digest, artifactType string) ([]Descriptor, error) {
	rp, err := parseRepo(repo)
	if err != nil {
		return nil, err
	}
	opts := r.options(ctx)
	if artifactType != "" {
		opts = append(opts, remote.WithFilter("artifactType", artifactType))
	}
	d, err := name.NewDigest(rp.String()+"@"+digest, name.StrictValidation)
	if err != nil {
		return nil, fmt.Errorf("parsing digest %q: %w", digest, err)
	}
	idx, err := remote.Referrers(d, opts...)
	if err != nil {
		return nil, fmt.Errorf("listing referrers of %s: %w", d, explain(rp.RegistryStr(), err))
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading referrers of %s: %w", d, err)
	}
	return im.Manifests, nil
}
