//go:build unix

package image

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/testutil"
)

// artifacts is everything one run produces from copies of testdata.
type artifacts struct {
	digests []string // manifest, config, then layers, per image
	layout  map[string][]byte
	archive []byte
}

// buildAll copies testdata with the given host mode and mtime, under the given umask, and builds
// the fixture layout and an archive from the copies.
func buildAll(t *testing.T, mode os.FileMode, mtime time.Time, umask int) artifacts {
	t.Helper()
	old := syscall.Umask(umask)
	defer syscall.Umask(old)

	root := t.TempDir()
	src := filepath.Join(root, "src")
	copyTestdata(t, src, mode, mtime)
	indexes := fixtureIndexes(t, src)

	var a artifacts
	for _, ix := range indexes {
		for _, img := range ix.Images {
			d, _ := img.Digest()
			c, _ := img.ConfigName()
			a.digests = append(a.digests, d.String(), c.String())
			layers, err := img.Layers()
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range layers {
				ld, _ := l.Digest()
				a.digests = append(a.digests, ld.String())
			}
		}
	}
	dir := filepath.Join(root, "layout")
	if err := WriteLayout(dir, indexes); err != nil {
		t.Fatal(err)
	}
	a.layout = testutil.ReadTree(t, dir)
	archive := filepath.Join(root, "hello.tar")
	if err := WriteDockerArchive(archive, "hello:test", indexes[0].Images[0]); err != nil {
		t.Fatal(err)
	}
	var err error
	if a.archive, err = os.ReadFile(archive); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestBuild_IsReproducible(t *testing.T) {
	t.Run("is reproducible", func(t *testing.T) {
		a := buildAll(t, 0o600, time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC), 0o077)
		b := buildAll(t, 0o777, time.Now(), 0o000)

		if !reflect.DeepEqual(a.digests, b.digests) {
			t.Errorf("digests differ:\n%q\n%q", a.digests, b.digests)
		}
		if len(a.layout) != len(b.layout) {
			t.Errorf("layouts hold %d and %d files", len(a.layout), len(b.layout))
		}
		for name, content := range a.layout {
			if !bytes.Equal(content, b.layout[name]) {
				t.Errorf("layout file %s differs", name)
			}
		}
		if !bytes.Equal(a.archive, b.archive) {
			t.Error("docker archives differ")
		}
		// The pinned digests are of testdata itself: copies must give the same image.
		if len(a.digests) < 2*4 || a.digests[len(a.digests)-4] != pinnedManifest {
			t.Errorf("the arm64 copy's manifest %q is not the pinned %s", a.digests, pinnedManifest)
		}
	})
}
