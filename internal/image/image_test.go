package image

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// Pinned digests of fixtureSpec("testdata", "linux/arm64"). They change only if the files in
// testdata, the tar/gzip encoding, or the config/manifest encoding change: review such a change.
const (
	pinnedManifest = "sha256:c578b8d7d1fd34f1d91919455012562dc6af0470868f119ed522fe0c606f8ea6"
	pinnedConfig   = "sha256:0f15eb0043e14d4ce16ec2bef1eb3deffb82a9806d7722411d8591a79b70013c"
)

func TestBuild(t *testing.T) {
	img := mustBuild(t, fixtureSpec("testdata", "linux/arm64"))

	t.Run("pinned digests", func(t *testing.T) {
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		if d.String() != pinnedManifest {
			t.Errorf("manifest digest = %s, want %s", d, pinnedManifest)
		}
		c, err := img.ConfigName()
		if err != nil {
			t.Fatal(err)
		}
		if c.String() != pinnedConfig {
			t.Errorf("config digest = %s, want %s", c, pinnedConfig)
		}
	})

	t.Run("media types", func(t *testing.T) {
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON {
			t.Errorf("manifest %s, config %s: want OCI manifest and config", m.MediaType, m.Config.MediaType)
		}
		if len(m.Layers) != 2 {
			t.Fatalf("%d layers, want 2", len(m.Layers))
		}
		for i, l := range m.Layers {
			if l.MediaType != types.OCILayer {
				t.Errorf("layer %d media type %s, want %s", i, l.MediaType, types.OCILayer)
			}
		}
	})

	t.Run("config", func(t *testing.T) {
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.OS != "linux" || cfg.Architecture != "arm64" || cfg.Variant != "" {
			t.Errorf("platform %s/%s/%s, want linux/arm64", cfg.OS, cfg.Architecture, cfg.Variant)
		}
		if !cfg.Created.Time.Equal(created) || cfg.Created.Location().String() != "UTC" {
			t.Errorf("created %v, want %v in UTC", cfg.Created.Time, created)
		}
		if !reflect.DeepEqual(cfg.Config.Entrypoint, []string{"/hello"}) || !reflect.DeepEqual(cfg.Config.Cmd, []string{"--greet", "<world>"}) {
			t.Errorf("entrypoint %q cmd %q", cfg.Config.Entrypoint, cfg.Config.Cmd)
		}
		if cfg.Config.Labels["org.opencontainers.image.title"] != "hello" {
			t.Errorf("labels %v", cfg.Config.Labels)
		}
		if len(cfg.RootFS.DiffIDs) != 2 || cfg.RootFS.Type != "layers" {
			t.Errorf("rootfs %+v, want 2 diff_ids of type layers", cfg.RootFS)
		}
		raw, err := img.RawConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), `"created":"2024-01-02T03:04:05Z"`) {
			t.Errorf("config does not carry the build date in UTC: %s", raw)
		}
	})
}

func TestBuildPlatforms(t *testing.T) {
	for _, tc := range []struct{ platform, arch, variant string }{
		{"linux/amd64", "amd64", ""},
		{"linux/arm64", "arm64", ""},
		{"linux/arm/v7", "arm", "v7"},
		{"linux/riscv64", "riscv64", ""},
	} {
		t.Run(tc.platform, func(t *testing.T) {
			cfg, err := mustBuild(t, fixtureSpec("testdata", tc.platform)).ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.OS != "linux" || cfg.Architecture != tc.arch || cfg.Variant != tc.variant {
				t.Errorf("got %s/%s/%s, want linux/%s/%s", cfg.OS, cfg.Architecture, cfg.Variant, tc.arch, tc.variant)
			}
		})
	}
}

func TestBuildRejects(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		mutate func(*Spec)
		want   []string // substrings of the error
		spec   bool     // wraps ErrInvalidSpec
	}{
		{"bad platform", func(s *Spec) { s.Platform = "linux/sparc64" },
			[]string{`Platform "linux/sparc64"`, "linux/amd64, linux/arm64, linux/arm/v7, linux/riscv64", "linux/s390x"}, true},
		{"arm without variant", func(s *Spec) { s.Platform = "linux/arm" }, []string{`Platform "linux/arm"`, "linux/arm/v7"}, true},
		{"relative path", func(s *Spec) { s.Layers[0].Files[0].Path = "hello" },
			[]string{`Layers[0].Files[0].Path "hello"`, "absolute, clean", `"/hello"`}, true},
		{"unclean path", func(s *Spec) { s.Layers[1].Files[1].Path = "/usr/lib/../lib/x" },
			[]string{`Layers[1].Files[1].Path "/usr/lib/../lib/x"`, `"/usr/lib/x"`}, true},
		{"trailing slash", func(s *Spec) { s.Layers[0].Files[0].Path = "/hello/" }, []string{`"/hello/"`, `"/hello"`}, true},
		{"root", func(s *Spec) { s.Layers[0].Files[0].Path = "/" }, []string{`Path "/"`}, true},
		{"duplicate path across layers", func(s *Spec) { s.Layers[1].Files[1].Path = "/hello" },
			[]string{`Layers[1].Files[1].Path "/hello" is already in Layers[0].Files[0]`, "once per image"}, true},
		{"duplicate path in a layer", func(s *Spec) { s.Layers[1].Files[1].Path = "/usr/lib/libfake.so.1" },
			[]string{`Layers[1].Files[1].Path "/usr/lib/libfake.so.1" is already in Layers[1].Files[0]`}, true},
		{"file used as directory", func(s *Spec) { s.Layers[0].Files[0].Path = "/usr/lib/fake" },
			[]string{`Layers[0].Files[0].Path "/usr/lib/fake" is a file`, "Layers[1].Files[1] needs it as a directory"}, true},
		{"zero mode", func(s *Spec) { s.Layers[0].Files[0].Mode = 0 }, []string{"Layers[0].Files[0].Mode", "permission bits"}, true},
		{"setuid mode", func(s *Spec) { s.Layers[0].Files[0].Mode = os.ModeSetuid | 0o755 }, []string{"Layers[0].Files[0].Mode"}, true},
		{"empty source", func(s *Spec) { s.Layers[0].Files[0].Source = "" }, []string{"Layers[0].Files[0].Source is empty"}, true},
		{"empty layer", func(s *Spec) { s.Layers[1].Files = nil }, []string{"Layers[1] (COPY lib /usr/lib) has no files"}, true},
		{"zero created", func(s *Spec) { s.Created = time.Time{} }, []string{"Created", "1970"}, true},
		{"created before 1970", func(s *Spec) { s.Created = time.Unix(-1, 0) }, []string{"Created"}, true},
		{"missing source", func(s *Spec) { s.Layers[1].Files[0].Source = filepath.Join(dir, "gone.so") },
			[]string{"building layer 1 (COPY lib /usr/lib)", "/usr/lib/libfake.so.1", "gone.so"}, false},
		{"directory source", func(s *Spec) { s.Layers[0].Files[0].Source = dir }, []string{"not a regular file"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := fixtureSpec("testdata", "linux/amd64")
			tc.mutate(&spec)
			_, err := Build(spec)
			if err == nil {
				t.Fatal("Build succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if errors.Is(err, ErrInvalidSpec) != tc.spec {
				t.Errorf("errors.Is(%v, ErrInvalidSpec) = %v, want %v", err, !tc.spec, tc.spec)
			}
		})
	}
}

func TestBuildSnapshotsSources(t *testing.T) {
	src := t.TempDir()
	copyTestdata(t, src, 0o644, created)
	img := mustBuild(t, fixtureSpec(src, "linux/amd64"))
	before, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "hello"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Errorf("image no longer valid after its source changed: %v", err)
	}
	if after, _ := img.Digest(); after != before {
		t.Errorf("digest moved from %s to %s after the source changed", before, after)
	}
}
