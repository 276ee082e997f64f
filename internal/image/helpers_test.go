package image

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// created is the fixed build date of every fixture image.
var created = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// fixtureMetadata is what the fixture images say about themselves.
var fixtureMetadata = Metadata{
	Title:       "hello",
	Description: "says hello",
	Source:      "https://example.invalid/hello.git",
	Revision:    "0123456789abcdef0123456789abcdef01234567",
	Version:     "0+src.0123456789ab",
}

// fixtureSpec is a small two-layer image whose sources are testdata/hello and
// testdata/lib/libfake.so.1 under src.
func fixtureSpec(src, platform string) Spec {
	lib := filepath.Join(src, "lib", "libfake.so.1")
	return Spec{
		Platform: platform,
		Layers: []Layer{
			{CreatedBy: "COPY hello /", Files: []File{{Path: "/hello", Source: filepath.Join(src, "hello"), Mode: 0o755}}},
			{CreatedBy: "COPY lib /usr/lib", Files: []File{
				{Path: "/usr/lib/libfake.so.1", Source: lib, Mode: 0o644},
				{Path: "/usr/lib/fake/libfake.so.1", Source: lib, Mode: 0o600},
			}},
		},
		Entrypoint: []string{"/hello"},
		Cmd:        []string{"--greet", "<world>"},
		Labels:     map[string]string{"org.opencontainers.image.title": "hello", "fromscratch.cell": "gcc static"},
		Metadata:   fixtureMetadata,
		Created:    created,
	}
}

// mustBuild builds spec and validates the result.
func mustBuild(t *testing.T, spec Spec) v1.Image {
	t.Helper()
	img, err := Build(spec)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatalf("validate.Image: %v", err)
	}
	return img
}

// copyTestdata copies testdata/hello and testdata/lib into dst with the given mode and mtime.
func copyTestdata(t *testing.T, dst string, mode os.FileMode, mtime time.Time) {
	t.Helper()
	for _, rel := range []string{"hello", filepath.Join("lib", "libfake.so.1")} {
		b, err := os.ReadFile(filepath.Join("testdata", rel))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
}

// brokenImage is an image whose layers cannot be read, to make a layout write fail midway.
type brokenImage struct{ v1.Image }

type brokenLayer struct{ v1.Layer }

func (b brokenImage) Layers() ([]v1.Layer, error) {
	ls, err := b.Image.Layers()
	for i := range ls {
		ls[i] = brokenLayer{ls[i]}
	}
	return ls, err
}

func (brokenLayer) Compressed() (io.ReadCloser, error) { return nil, errors.New("disk on fire") }
