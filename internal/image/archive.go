package image

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
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
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating directory for %s: %w", path, err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".new-")
	if err != nil {
		return fmt.Errorf("creating temporary archive: %w", err)
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	if err := tarball.Write(t, img, f); err != nil {
		f.Close()
		return fmt.Errorf("writing docker archive %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("setting mode of %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing docker archive %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("moving docker archive into %s: %w", path, err)
	}
	return nil
}
