package image

import (
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// Image is an OCI image as this package builds and reads it. It is
// go-containerregistry's v1.Image: the alias lets the rest of fromscratch
// hold images without importing go-containerregistry, which only this
// package does.
type Image = v1.Image

// Validate checks an image as registries and runtimes would
// (go-containerregistry's validate.Image).
func Validate(img Image) error { return validate.Image(img) }

// Blobs lists the layout paths of an image's blobs relative to the
// layout's root: its manifest, config and layers, as
// blobs/<algorithm>/<hex>.
func Blobs(img Image) ([]string, error) {
	d, err := img.Digest()
	if err != nil {
		return nil, err
	}
	c, err := img.ConfigName()
	if err != nil {
		return nil, err
	}
	hashes := []v1.Hash{d, c}
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	for _, l := range layers {
		ld, err := l.Digest()
		if err != nil {
			return nil, err
		}
		hashes = append(hashes, ld)
	}
	out := make([]string, len(hashes))
	for i, h := range hashes {
		out[i] = "blobs/" + h.Algorithm + "/" + h.Hex
	}
	return out, nil
}
