package image

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/fromscratch/fromscratch/internal/testutil"
)

// Pinned sha256 of the fixture layout's index.json and of the fixture docker archive.
const (
	pinnedIndexJSON = "sha256:dbdd32d331deb24b1df1917fb0ab0a01105ef4f9c4109eee79e3ad8dd94e3380"
	pinnedArchive   = "sha256:2c85cd02ae897539fb85eae6642286e44bb78d8add14c67823df154ff166a710"
)

// fixtureIndexes is two named indexes, given out of order: "hello" with three platforms and
// "alone" with one.
func fixtureIndexes(t *testing.T, src string) []Index {
	t.Helper()
	var hello []v1.Image
	for _, p := range []string{"linux/riscv64", "linux/amd64", "linux/arm/v7"} {
		hello = append(hello, mustBuild(t, fixtureSpec(src, p)))
	}
	return []Index{
		{Name: "hello", Images: hello},
		{Name: "alone", Images: []v1.Image{mustBuild(t, fixtureSpec(src, "linux/arm64"))}},
	}
}

func sha256Of(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func TestWriteLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out", "layout")
	indexes := fixtureIndexes(t, "testdata")
	if err := WriteLayout(dir, indexes); err != nil {
		t.Fatal(err)
	}

	t.Run("pinned index.json", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(dir, "index.json"))
		if err != nil {
			t.Fatal(err)
		}
		if got := sha256Of(b); got != pinnedIndexJSON {
			t.Errorf("index.json digest = %s, want %s\n%s", got, pinnedIndexJSON, b)
		}
	})

	t.Run("validates", func(t *testing.T) {
		top, err := layout.ImageIndexFromPath(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Index(top); err != nil {
			t.Errorf("validate.Index(index.json): %v", err)
		}
	})

	t.Run("read back", func(t *testing.T) {
		entries, err := ReadLayout(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 || entries[0].Name != "alone" || entries[1].Name != "hello" {
			t.Fatalf("entries %+v, want alone then hello", entries)
		}
		if want := []string{"linux/amd64", "linux/arm/v7", "linux/riscv64"}; !reflect.DeepEqual(entries[1].Platforms, want) {
			t.Errorf("hello platforms %q, want %q", entries[1].Platforms, want)
		}
		for _, e := range entries {
			if err := validate.Index(e.Index); err != nil {
				t.Errorf("validate.Index(%s): %v", e.Name, err)
			}
			if mt, _ := e.Index.MediaType(); mt != types.OCIImageIndex {
				t.Errorf("%s media type %s, want %s", e.Name, mt, types.OCIImageIndex)
			}
			im, err := e.Index.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range im.Manifests {
				if m.Platform == nil || m.ArtifactType != "" || m.MediaType != types.OCIManifestSchema1 {
					t.Errorf("%s: descriptor %+v, want an OCI manifest with a platform and no artifactType", e.Name, m)
				}
			}
		}
	})

	t.Run("lookup", func(t *testing.T) {
		img, err := Lookup(dir, "hello", "linux/arm/v7")
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Image(img); err != nil {
			t.Error(err)
		}
		got, _ := img.Digest()
		want, _ := indexes[0].Images[2].Digest()
		if got != want {
			t.Errorf("Lookup digest %s, want the arm/v7 image %s", got, want)
		}
		if _, err := Lookup(dir, "hello", "linux/arm64"); err == nil || !strings.Contains(err.Error(), "have linux/amd64, linux/arm/v7, linux/riscv64") {
			t.Errorf("Lookup of a missing platform: %v", err)
		}
		if _, err := Lookup(dir, "nope", "linux/arm64"); err == nil || !strings.Contains(err.Error(), "have alone, hello") {
			t.Errorf("Lookup of a missing name: %v", err)
		}
	})

	t.Run("modes", func(t *testing.T) {
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			want := os.FileMode(0o644)
			if d.IsDir() {
				want = 0o755
			}
			if info.Mode().Perm() != want {
				t.Errorf("%s mode %v, want %v", p, info.Mode().Perm(), want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestWriteLayoutReplaces(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "layout")
	if err := WriteLayout(dir, fixtureIndexes(t, "testdata")); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "blobs", "sha256", strings.Repeat("0", 64))
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("a new write replaces everything", func(t *testing.T) {
		only := []Index{{Name: "alone", Images: []v1.Image{mustBuild(t, fixtureSpec("testdata", "linux/arm64"))}}}
		if err := WriteLayout(dir, only); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(stale); !os.IsNotExist(err) {
			t.Errorf("stale blob survived the rewrite (stat err %v)", err)
		}
		entries, err := ReadLayout(dir)
		if err != nil || len(entries) != 1 {
			t.Fatalf("entries %+v, err %v: want only alone", entries, err)
		}
		checkNoLeftovers(t, parent)
	})

	t.Run("an empty directory is replaced", func(t *testing.T) {
		empty := filepath.Join(t.TempDir(), "layout")
		if err := os.Mkdir(empty, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := WriteLayout(empty, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(empty, "oci-layout")); err != nil {
			t.Error(err)
		}
		checkNoLeftovers(t, filepath.Dir(empty))
	})

	t.Run("a failing write keeps the old layout", func(t *testing.T) {
		before := testutil.ReadTree(t, dir)
		good := mustBuild(t, fixtureSpec("testdata", "linux/amd64"))
		err := WriteLayout(dir, []Index{{Name: "broken", Images: []v1.Image{brokenImage{good}}}})
		if err == nil || !strings.Contains(err.Error(), "disk on fire") {
			t.Fatalf("WriteLayout = %v, want the layer error", err)
		}
		if after := testutil.ReadTree(t, dir); !reflect.DeepEqual(before, after) {
			t.Error("the old layout changed after a failing write")
		}
		checkNoLeftovers(t, parent)
	})
}

// checkNoLeftovers fails if a temporary or set-aside layout is left next to the layout.
func checkNoLeftovers(t *testing.T, parent string) {
	t.Helper()
	names, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n.Name() != "layout" {
			t.Errorf("leftover %s next to the layout", n.Name())
		}
	}
}

func TestWriteLayoutRejects(t *testing.T) {
	amd64 := mustBuild(t, fixtureSpec("testdata", "linux/amd64"))
	notLayout := t.TempDir()
	if err := os.WriteFile(filepath.Join(notLayout, "precious.txt"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		dir     string
		indexes []Index
		want    string
	}{
		{"not a layout", notLayout, []Index{{Name: "a", Images: []v1.Image{amd64}}}, "not an OCI layout"},
		{"duplicate name", filepath.Join(t.TempDir(), "l"), []Index{{Name: "a", Images: []v1.Image{amd64}}, {Name: "a"}}, `index name "a" appears twice`},
		{"empty name", filepath.Join(t.TempDir(), "l"), []Index{{Images: []v1.Image{amd64}}}, "empty Name"},
		{"duplicate platform", filepath.Join(t.TempDir(), "l"), []Index{{Name: "a", Images: []v1.Image{amd64, amd64}}}, "two images for linux/amd64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := WriteLayout(tc.dir, tc.indexes)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("WriteLayout = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if b, err := os.ReadFile(filepath.Join(notLayout, "precious.txt")); err != nil || string(b) != "keep" {
		t.Errorf("a directory that is not a layout was touched: %q, %v", b, err)
	}
}

func TestWriteDockerArchive(t *testing.T) {
	img := mustBuild(t, fixtureSpec("testdata", "linux/amd64"))
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a", "hello.tar"), filepath.Join(dir, "b.tar")
	for _, p := range []string{a, b} {
		if err := WriteDockerArchive(p, "hello:gcc-static-amd64", img); err != nil {
			t.Fatal(err)
		}
	}
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ab, bb) {
		t.Error("two writes of the same image differ")
	}
	if got := sha256Of(ab); got != pinnedArchive {
		t.Errorf("archive digest = %s, want %s", got, pinnedArchive)
	}

	tr := tar.NewReader(bytes.NewReader(ab))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Name != "manifest.json" {
			continue
		}
		var m []struct{ RepoTags []string }
		if err := json.NewDecoder(tr).Decode(&m); err != nil {
			t.Fatal(err)
		}
		if len(m) != 1 || !reflect.DeepEqual(m[0].RepoTags, []string{"hello:gcc-static-amd64"}) {
			t.Errorf("manifest.json %+v, want one image tagged hello:gcc-static-amd64", m)
		}
	}

	if err := WriteDockerArchive(filepath.Join(dir, "c.tar"), "Bad Tag!", img); err == nil {
		t.Error("a bad tag was accepted")
	}
}
