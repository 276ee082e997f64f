package image

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/fromscratch/fromscratch/internal/testutil"
)

// wantAnnotations is what the fixture images carry as annotations and labels.
var wantAnnotations = map[string]string{
	AnnotationCreated:     "2024-01-02T03:04:05Z",
	AnnotationTitle:       "hello",
	AnnotationDescription: "says hello",
	AnnotationSource:      "https://example.invalid/hello.git",
	AnnotationRevision:    "0123456789abcdef0123456789abcdef01234567",
	AnnotationVersion:     "0+src.0123456789ab",
}

func TestMetadata(t *testing.T) {
	img := mustBuild(t, fixtureSpec("testdata", "linux/arm64"))

	t.Run("manifest annotations", func(t *testing.T) {
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(m.Annotations, wantAnnotations) {
			t.Errorf("annotations %v, want %v", m.Annotations, wantAnnotations)
		}
	})

	t.Run("config labels", func(t *testing.T) {
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range wantAnnotations {
			if cfg.Config.Labels[k] != v {
				t.Errorf("label %s = %q, want %q", k, cfg.Config.Labels[k], v)
			}
		}
		if cfg.Config.Labels["fromscratch.cell"] != "gcc static" {
			t.Errorf("the caller's labels were lost: %v", cfg.Config.Labels)
		}
	})

	t.Run("empty fields are left out", func(t *testing.T) {
		spec := fixtureSpec("testdata", "linux/arm64")
		spec.Metadata = Metadata{Description: "only this"}
		m, err := mustBuild(t, spec).Manifest()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{AnnotationCreated: "2024-01-02T03:04:05Z", AnnotationDescription: "only this"}
		if !reflect.DeepEqual(m.Annotations, want) {
			t.Errorf("annotations %v, want %v", m.Annotations, want)
		}
	})

	t.Run("a conflicting label is refused", func(t *testing.T) {
		spec := fixtureSpec("testdata", "linux/arm64")
		spec.Labels = map[string]string{AnnotationVersion: "2.0"}
		_, err := Build(spec)
		if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), AnnotationVersion) {
			t.Errorf("Build with a conflicting version label: %v, want an ErrInvalidSpec naming it", err)
		}
	})
}

func TestPlatformRef(t *testing.T) {
	for platform, want := range map[string]string{
		"linux/amd64": "gcc-dynamic-amd64", "linux/arm64": "gcc-dynamic-arm64",
		"linux/arm/v7": "gcc-dynamic-arm-v7", "linux/riscv64": "gcc-dynamic-riscv64",
	} {
		if got := PlatformRef("gcc-dynamic", platform); got != want {
			t.Errorf("PlatformRef(gcc-dynamic, %s) = %s, want %s", platform, got, want)
		}
	}
}

// The layout's index.json names each multi-arch index and, next to it, each
// of its images by platform; the indexes carry the annotations their images
// share.
func TestLayoutRefsAndAnnotations(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	indexes := fixtureIndexes(t, "testdata")
	if err := WriteLayout(dir, indexes); err != nil {
		t.Fatal(err)
	}
	top, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Index(top); err != nil {
		t.Fatalf("validate.Index: %v", err)
	}
	im, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	refs := map[string]v1.Descriptor{}
	for _, d := range im.Manifests {
		n := d.Annotations[RefNameAnnotation]
		names = append(names, n)
		refs[n] = d
	}
	want := []string{"alone", "alone-arm64", "hello", "hello-amd64", "hello-arm-v7", "hello-riscv64"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("ref names %q, want %q", names, want)
	}
	for _, n := range want[1:] {
		if !strings.Contains(n, "-") {
			continue
		}
		d := refs[n]
		if !d.MediaType.IsImage() || d.Platform == nil || PlatformRef(strings.SplitN(n, "-", 2)[0], d.Platform.String()) != n {
			t.Errorf("%s: descriptor %+v, want the image of that platform", n, d)
		}
		img, err := Lookup(dir, strings.SplitN(n, "-", 2)[0], d.Platform.String())
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := img.Digest(); got != d.Digest {
			t.Errorf("%s points at %s, the index holds %s", n, d.Digest, got)
		}
	}
	hello, err := top.ImageIndex(refs["hello"].Digest)
	if err != nil {
		t.Fatal(err)
	}
	him, err := hello.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(him.Annotations, wantAnnotations) {
		t.Errorf("index annotations %v, want %v", him.Annotations, wantAnnotations)
	}

	t.Run("explicit index annotations", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "layout")
		ix := indexes[1]
		ix.Annotations = map[string]string{AnnotationDescription: "alone"}
		if err := WriteLayout(dir, []Index{ix}); err != nil {
			t.Fatal(err)
		}
		entries, err := ReadLayout(dir)
		if err != nil || len(entries) != 1 {
			t.Fatalf("ReadLayout: %v %v", entries, err)
		}
		m, err := entries[0].Index.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(m.Annotations, ix.Annotations) {
			t.Errorf("annotations %v, want %v", m.Annotations, ix.Annotations)
		}
	})
}

// umoci unpacks a per-platform ref (a multi-arch ref is ambiguous to it),
// and skopeo reads the layout and the image's labels.
func TestLayoutTools(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	if err := WriteLayout(dir, fixtureIndexes(t, "testdata")); err != nil {
		t.Fatal(err)
	}
	t.Run("umoci", func(t *testing.T) {
		umoci, err := exec.LookPath("umoci")
		if err != nil {
			testutil.Missing(t, "umoci is not installed (apt-get install umoci)")
		}
		bundle := filepath.Join(t.TempDir(), "bundle")
		out, err := exec.CommandContext(t.Context(), umoci, "unpack", "--rootless", "--image", dir+":hello-arm-v7", bundle).CombinedOutput()
		if err != nil {
			t.Fatalf("umoci unpack hello-arm-v7: %v\n%s", err, out)
		}
		want, err := os.ReadFile(filepath.Join("testdata", "hello"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(bundle, "rootfs", "hello"))
		if err != nil || string(got) != string(want) {
			t.Errorf("rootfs/hello after umoci unpack: %d bytes, %v; want testdata/hello", len(got), err)
		}
		cfg, err := os.ReadFile(filepath.Join(bundle, "config.json"))
		if err != nil || !strings.Contains(string(cfg), "/hello") {
			t.Errorf("the bundle's config.json does not run /hello (%v)", err)
		}
	})
	t.Run("skopeo", func(t *testing.T) {
		skopeo, err := exec.LookPath("skopeo")
		if err != nil {
			testutil.Missing(t, "skopeo is not installed (apt-get install skopeo)")
		}
		out, err := exec.CommandContext(t.Context(), skopeo, "inspect", "oci:"+dir+":hello-riscv64").Output()
		if err != nil {
			t.Fatalf("skopeo inspect hello-riscv64: %v\n%s", err, out)
		}
		var got struct {
			Architecture string
			Labels       map[string]string
			Created      string
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("skopeo inspect printed %s: %v", out, err)
		}
		if got.Architecture != "riscv64" || got.Labels[AnnotationRevision] != wantAnnotations[AnnotationRevision] ||
			!strings.HasPrefix(got.Created, "2024-01-02T03:04:05") {
			t.Errorf("skopeo inspect: %+v", got)
		}
		// The multi-arch ref is an index: skopeo picks this machine's
		// platform from it, or says it has none.
		raw, err := exec.CommandContext(t.Context(), skopeo, "inspect", "--raw", "oci:"+dir+":hello").Output()
		if err != nil || !strings.Contains(string(raw), AnnotationCreated) {
			t.Errorf("skopeo inspect --raw hello: %v\n%s", err, raw)
		}
	})
}
