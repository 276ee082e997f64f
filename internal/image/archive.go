package image

import (
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
)

// WriteDockerArchive writes img as a `docker load`-able archive tagged tag (e.g.
// "hello:gcc-dynamic-amd64"). The archive is written to a temporary file next to path and renamed
// into place. Its bytes depend only on img and tag: go-containerregistry writes the entries with
// zero mtimes, uid/gid 0 and mode 0644.
func WriteDockerArchive(path, tag string, img v1.Image) error {
	t, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("parsing tag %q: %w", tag, err)
	}
	return atomicfile.WriteFrom(path, 0o644, func(w io.Writer) error {
		if err := tarball.Write(t, img, w); err != nil {
			return fmt.Errorf("writing docker archive: %w", err)
		}
		return nil
	})
}
