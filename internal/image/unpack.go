package image

import (
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/fromscratch/fromscratch/internal/tarball"
)

// Unpack writes the flattened root filesystem of img into dir, for engines
// that run a rootfs without a daemon. It lets in what tarball.Unpack does
// (files, folders and links that stay inside dir); an entry escaping dir,
// a device file or a fifo is an error.
func Unpack(img v1.Image, dir string) error {
	rc := mutate.Extract(img)
	defer rc.Close()
	_, err := tarball.Unpack(rc, "the image's root filesystem", dir, 0)
	return err
}
