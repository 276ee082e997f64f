package image

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	// TitleAnnotation names the file a layer holds (the OCI annotation ORAS
	// uses too).
	TitleAnnotation = "org.opencontainers.image.title"
	// ModeAnnotation holds a file's permission bits in octal, e.g. "0755".
	ModeAnnotation = "vnd.fromscratch.file.mode"
	// fileMediaType is the media type of a file layer: the file's bytes as
	// they are, so the layer's digest is the file's sha256.
	fileMediaType = "application/octet-stream"
)

// ErrCorrupt is wrapped by GetFiles' error when a blob's bytes do not match
// the size or digest its manifest records, or the manifest is not a files
// artifact of the expected type.
var ErrCorrupt = errors.New("corrupt artifact")

// emptyConfig is the content of the OCI empty descriptor: the config of an
// artifact that has none.
var emptyConfig = []byte("{}")

// PutFiles pushes files (name -> host path; names are slash-separated,
// clean and local, e.g. "hello" or "bin/hello") to ref (registry/repo:tag)
// as an OCI artifact of artifactType: the empty config and one
// uncompressed layer per file in name order, titled with its name and
// carrying its permission bits in ModeAnnotation. A layer's digest is its
// file's sha256. Blobs the registry has are not sent again. It returns the
// manifest's digest.
func (r Registry) PutFiles(ctx context.Context, ref, artifactType string, files map[string]string) (string, error) {
	tag, err := parseRef(ref)
	if err != nil {
		return "", err
	}
	var layers []artifactLayer
	for _, n := range slices.Sorted(maps.Keys(files)) {
		if !localName(n) {
			return "", fmt.Errorf("pushing %s: invalid file name %q: want a clean, local, slash-separated path", ref, n)
		}
		l, err := newFileLayer(files[n])
		if err != nil {
			return "", fmt.Errorf("pushing %s: %w", ref, err)
		}
		layers = append(layers, artifactLayer{layer: l, annotations: map[string]string{
			TitleAnnotation: n,
			ModeAnnotation:  fmt.Sprintf("%04o", l.mode),
		}})
	}
	art, err := newArtifact(artifactType, layers, nil, nil)
	if err != nil {
		return "", fmt.Errorf("building the artifact %s: %w", ref, err)
	}
	d, err := art.Digest()
	if err != nil {
		return "", err
	}
	if err := remote.Write(tag, art, r.options(ctx)...); err != nil {
		return "", fmt.Errorf("pushing %s: %w", ref, explain(tag.Context().RegistryStr(), err))
	}
	return d.String(), nil
}

// GetFiles downloads the files artifact at ref (written by PutFiles, of
// artifactType) into dir and returns its files (name -> path in dir). ok
// is false when the registry has no such tag. Every file is checked
// against the size and digest its layer records before GetFiles returns;
// a mismatch, or a manifest that is not such an artifact, is an error
// wrapping ErrCorrupt. Files already written stay in dir for the caller
// to remove.
func (r Registry) GetFiles(ctx context.Context, ref, artifactType, dir string) (files map[string]string, ok bool, err error) {
	tag, err := parseRef(ref)
	if err != nil {
		return nil, false, err
	}
	repo := tag.Context()
	reg := repo.RegistryStr()
	desc, err := remote.Get(tag, r.options(ctx)...)
	if err != nil {
		if notFound(err) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("fetching %s: %w", ref, explain(reg, err))
	}
	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		return nil, false, fmt.Errorf("%w: %s: decoding its manifest: %v", ErrCorrupt, ref, err)
	}
	if m.MediaType != types.OCIManifestSchema1 || m.ArtifactType != artifactType {
		return nil, false, fmt.Errorf("%w: %s is a %s of artifact type %q, want an OCI manifest of %q", ErrCorrupt, ref, m.MediaType, m.ArtifactType, artifactType)
	}
	auth, err := authn.DefaultKeychain.Resolve(repo)
	if err != nil {
		return nil, false, fmt.Errorf("finding credentials for %s: %w", reg, err)
	}
	tr, err := transport.NewWithContext(ctx, repo.Registry, auth, r.transport(), []string{repo.Scope(transport.PullScope)})
	if err != nil {
		return nil, false, fmt.Errorf("fetching %s: %w", ref, explain(reg, err))
	}
	client := &http.Client{Transport: tr}
	files = map[string]string{}
	for _, l := range m.Layers {
		n := l.Annotations[TitleAnnotation]
		if !localName(n) || files[n] != "" {
			return nil, false, fmt.Errorf("%w: %s: layer %s has no usable file name (%q)", ErrCorrupt, ref, l.Digest, n)
		}
		mode, err := strconv.ParseUint(l.Annotations[ModeAnnotation], 8, 32)
		if err != nil || mode&^0o777 != 0 {
			return nil, false, fmt.Errorf("%w: %s: file %s has mode %q, want octal permission bits", ErrCorrupt, ref, n, l.Annotations[ModeAnnotation])
		}
		dst := filepath.Join(dir, filepath.FromSlash(n))
		u := url.URL{Scheme: repo.Scheme(), Host: reg, Path: fmt.Sprintf("/v2/%s/blobs/%s", repo.RepositoryStr(), l.Digest)}
		if err := fetchBlob(ctx, client, u.String(), l, dst, os.FileMode(mode)); err != nil {
			return nil, false, fmt.Errorf("fetching %s of %s: %w", n, ref, explainBlob(reg, err))
		}
		files[n] = dst
	}
	return files, true, nil
}

// fetchBlob writes the blob at u to dst with mode, checking its size and
// digest against l. A mismatch wraps ErrCorrupt.
func fetchBlob(ctx context.Context, client *http.Client, u string, l v1.Descriptor, dst string, mode os.FileMode) error {
	if l.Digest.Algorithm != "sha256" || l.Size < 0 {
		return fmt.Errorf("%w: layer %s of size %d", ErrCorrupt, l.Digest, l.Size)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), io.LimitReader(resp.Body, l.Size+1))
	if err != nil {
		out.Close()
		return err
	}
	if err := out.Chmod(mode); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if n != l.Size {
		return fmt.Errorf("%w: blob %s has %d bytes, its manifest says %d", ErrCorrupt, l.Digest, n, l.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != l.Digest.Hex {
		return fmt.Errorf("%w: blob %s has sha256 %s", ErrCorrupt, l.Digest, got)
	}
	return nil
}

// explainBlob is explain, except for ErrCorrupt, which is the registry's
// content and not its availability.
func explainBlob(reg string, err error) error {
	if errors.Is(err, ErrCorrupt) {
		return err
	}
	return explain(reg, err)
}

// notFound reports whether a registry said the manifest or repository does
// not exist.
func notFound(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound
}

// localName reports whether n is a clean, local, slash-separated path.
func localName(n string) bool {
	return n != "" && path.Clean(n) == n && filepath.IsLocal(filepath.FromSlash(n))
}

// artifactLayer is one layer of an artifact with its annotations.
type artifactLayer struct {
	layer       partial.CompressedLayer
	annotations map[string]string
}

// artifact is an OCI artifact: an image manifest with artifactType, the
// empty config and layers of any media type, and maybe a subject.
type artifact struct {
	manifest []byte
	layers   map[v1.Hash]partial.CompressedLayer
}

// newArtifact builds an artifact as a v1.Image, which remote.Write pushes
// like any image (and, for a subject, updates the referrers tag).
func newArtifact(artifactType string, layers []artifactLayer, subject *Descriptor, annotations map[string]string) (v1.Image, error) {
	cfgDigest, cfgSize, err := v1.SHA256(bytes.NewReader(emptyConfig))
	if err != nil {
		return nil, err
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  artifactType,
		Config:        v1.Descriptor{MediaType: types.OCIEmptyJSON, Digest: cfgDigest, Size: cfgSize},
		Layers:        []v1.Descriptor{},
		Subject:       subject,
		Annotations:   annotations,
	}
	a := &artifact{layers: map[v1.Hash]partial.CompressedLayer{}}
	for _, l := range layers {
		d, err := partial.Descriptor(l.layer)
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size, Annotations: l.annotations})
		a.layers[d.Digest] = l.layer
	}
	if a.manifest, err = json.Marshal(m); err != nil {
		return nil, err
	}
	return partial.CompressedToImage(a)
}

func (a *artifact) RawConfigFile() ([]byte, error)      { return emptyConfig, nil }
func (a *artifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (a *artifact) RawManifest() ([]byte, error)        { return a.manifest, nil }
func (a *artifact) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := a.layers[h]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("artifact has no layer %s", h)
}

// fileLayer is a host file as an uncompressed layer blob.
type fileLayer struct {
	path   string
	digest v1.Hash
	size   int64
	mode   os.FileMode
}

// newFileLayer hashes the regular file p.
func newFileLayer(p string) (*fileLayer, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", p)
	}
	d, n, err := v1.SHA256(f)
	if err != nil {
		return nil, fmt.Errorf("hashing %s: %w", p, err)
	}
	return &fileLayer{path: p, digest: d, size: n, mode: fi.Mode().Perm()}, nil
}

func (l *fileLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *fileLayer) Size() (int64, error)                { return l.size, nil }
func (l *fileLayer) MediaType() (types.MediaType, error) { return fileMediaType, nil }
func (l *fileLayer) Compressed() (io.ReadCloser, error)  { return os.Open(l.path) }
