package image

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Cosign keeps an image's signatures and attestations in images of their
// own, tagged after the image's digest in the image's repository:
// sha256-<hex>.sig and sha256-<hex>.att. Each signature or attestation is
// one layer with annotations.

// Suffixes of cosign's tags.
const (
	SignatureSuffix   = ".sig"
	AttestationSuffix = ".att"
)

// AttachedLayer is one layer of a signature or attestation image.
type AttachedLayer struct {
	MediaType   string
	Content     []byte
	Annotations map[string]string
}

// CosignTag is the tag of digest's signatures (suffix SignatureSuffix) or
// attestations (AttestationSuffix): sha256-<hex>.sig.
func CosignTag(digest, suffix string) (string, error) {
	h, err := v1.NewHash(digest)
	if err != nil {
		return "", fmt.Errorf("parsing digest %q: %w", digest, err)
	}
	return h.Algorithm + "-" + h.Hex + suffix, nil
}

// cosignRef is repo:sha256-<hex><suffix>.
func cosignRef(repo, digest, suffix string) (name.Tag, error) {
	rp, err := parseRepo(repo)
	if err != nil {
		return name.Tag{}, err
	}
	tag, err := CosignTag(digest, suffix)
	if err != nil {
		return name.Tag{}, err
	}
	return rp.Tag(tag), nil
}

// Attached reads the layers of repo@digest's signature or attestation
// image (suffix SignatureSuffix or AttestationSuffix); none when the
// registry has no such tag. Every layer's bytes are checked against its
// digest as they are read.
func (r Registry) Attached(ctx context.Context, repo, digest, suffix string) ([]AttachedLayer, error) {
	ref, err := cosignRef(repo, digest, suffix)
	if err != nil {
		return nil, err
	}
	img, err := remote.Image(ref, r.options(ctx)...)
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", ref, explain(ref.RegistryStr(), err))
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ref, err)
	}
	var out []AttachedLayer
	for _, d := range m.Layers {
		content, err := readLayer(img, d.Digest)
		if err != nil {
			return nil, fmt.Errorf("reading layer %s of %s: %w", d.Digest, ref, explainBlob(ref.RegistryStr(), err))
		}
		out = append(out, AttachedLayer{MediaType: string(d.MediaType), Content: content, Annotations: d.Annotations})
	}
	return out, nil
}

// readLayer reads the blob h of img, checked against h.
func readLayer(img v1.Image, h v1.Hash) ([]byte, error) {
	l, err := img.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// AttachLayer adds l to repo@digest's signature or attestation image (suffix
// SignatureSuffix or AttestationSuffix), keeping the layers it has (other
// signers'), as cosign sign and cosign attest do: an OCI image of the
// empty config whose layers are the signatures.
func (r Registry) AttachLayer(ctx context.Context, repo, digest, suffix string, l AttachedLayer) error {
	ref, err := cosignRef(repo, digest, suffix)
	if err != nil {
		return err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	existing, err := remote.Image(ref, r.options(ctx)...)
	switch {
	case err == nil:
		base = existing
	case !notFound(err):
		return fmt.Errorf("fetching %s: %w", ref, explain(ref.RegistryStr(), err))
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:       static.NewLayer(l.Content, types.MediaType(l.MediaType)),
		Annotations: l.Annotations,
	})
	if err != nil {
		return fmt.Errorf("adding to %s: %w", ref, err)
	}
	if err := remote.Write(ref, img, r.options(ctx)...); err != nil {
		return fmt.Errorf("pushing %s: %w", ref, explain(ref.RegistryStr(), err))
	}
	return nil
}

// Resolved is a reference as the registry serves it: the manifest's
// descriptor, and for an index the descriptors of its manifests.
type Resolved struct {
	Repo       string // registry/repository
	Descriptor Descriptor
	Manifests  []Descriptor // an index's; nil for an image
}

// IsIndex says whether the reference is a multi-arch index.
func (r Resolved) IsIndex() bool { return r.Descriptor.MediaType.IsIndex() }

// Resolve asks the registry for ref (registry/repository:tag or
// @sha256:...). The manifest's bytes are checked against the digest the
// reference or the registry names: a manifest changed in the registry's
// storage is an error.
func (r Registry) Resolve(ctx context.Context, ref string) (Resolved, error) {
	tag, err := parseRef(ref)
	if err != nil {
		return Resolved{}, err
	}
	desc, err := remote.Get(tag, r.options(ctx)...)
	if err != nil && digestMismatch(err) {
		return Resolved{}, fmt.Errorf("%w: %s: %v", ErrCorrupt, ref, err)
	}
	if err != nil {
		return Resolved{}, fmt.Errorf("fetching %s: %w", ref, explain(tag.Context().RegistryStr(), err))
	}
	// remote.Get compares a digest reference with the bytes; a tag's
	// bytes are compared here with the digest the registry sent.
	got, _, err := v1.SHA256(strings.NewReader(string(desc.Manifest)))
	if err != nil {
		return Resolved{}, err
	}
	if got != desc.Digest {
		return Resolved{}, fmt.Errorf("%w: %s: the registry names digest %s, its manifest's bytes have %s", ErrCorrupt, ref, desc.Digest, got)
	}
	res := Resolved{Repo: tag.Context().Name(), Descriptor: desc.Descriptor}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return Resolved{}, fmt.Errorf("reading index %s: %w", ref, err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return Resolved{}, fmt.Errorf("reading index %s: %w", ref, err)
		}
		res.Manifests = im.Manifests
	}
	return res, nil
}

// digestMismatch reports whether err is go-containerregistry's refusal of
// a manifest fetched by digest whose bytes have another digest (it has no
// error value of its own for that: its message is matched).
func digestMismatch(err error) bool {
	return strings.Contains(err.Error(), "does not match requested digest")
}

// Check fetches repo@d's manifest and checks its bytes against d.
func (r Registry) Check(ctx context.Context, repo string, d Descriptor) error {
	_, err := r.Resolve(ctx, repo+"@"+d.Digest.String())
	return err
}

// ArtifactContent reads the first layer of the artifact repo@digest (as
// Attach pushed it), checked against its digest, and the artifact's type.
func (r Registry) ArtifactContent(ctx context.Context, repo, digest string) (artifactType string, content []byte, err error) {
	rp, err := parseRepo(repo)
	if err != nil {
		return "", nil, err
	}
	ref := rp.Digest(digest)
	img, err := remote.Image(ref, r.options(ctx)...)
	if err != nil {
		return "", nil, fmt.Errorf("fetching %s: %w", ref, explain(rp.RegistryStr(), err))
	}
	m, err := img.Manifest()
	if err != nil {
		return "", nil, fmt.Errorf("reading %s: %w", ref, err)
	}
	if len(m.Layers) == 0 {
		return m.ArtifactType, nil, fmt.Errorf("%w: %s has no layer", ErrCorrupt, ref)
	}
	content, err = readLayer(img, m.Layers[0].Digest)
	if err != nil {
		return "", nil, fmt.Errorf("reading %s: %w", ref, explainBlob(rp.RegistryStr(), err))
	}
	return m.ArtifactType, content, nil
}
