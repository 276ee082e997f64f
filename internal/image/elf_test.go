package image

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// checkedInELF is a tiny static AArch64 program checked in by elfdeps (see
// ../elfdeps/testdata/README.md for how it was made).
var checkedInELF = filepath.Join("..", "elfdeps", "testdata", "hello-arm64-static")

// pinnedELFManifest is the manifest digest of elfSpec. It changes only if the checked-in program,
// the tar/gzip encoding or the config/manifest encoding change: review such a change.
const pinnedELFManifest = "sha256:bb0784afe073762a7225e1f22978cf189e61e7ededb598fd293ed3b2daa399ee"

// elfSpec packs src as /hello into a linux/arm64 image that runs it.
func elfSpec(src string) Spec {
	return Spec{
		Platform:   "linux/arm64",
		Layers:     []Layer{{CreatedBy: "COPY hello /", Files: []File{{Path: "/hello", Source: src, Mode: 0o755}}}},
		Entrypoint: []string{"/hello"},
		Created:    created,
	}
}

// A real program is packed without a compiler on the machine: the image is valid, its only layer
// holds the program byte for byte as an AArch64 executable, and the digest is pinned.
func TestBuildCheckedInELF(t *testing.T) {
	img := mustBuild(t, elfSpec(checkedInELF))
	want, err := os.ReadFile(checkedInELF)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("%d layers, want 1", len(layers))
	}
	raw := layerBytes(t, layers[0], false)
	checkUSTARBlocks(t, raw)
	tr := tar.NewReader(bytes.NewReader(raw))
	hdr, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(tr)
	if err != nil {
		t.Fatal(err)
	}
	if hdr.Name != "hello" || hdr.Mode != 0o755 || !bytes.Equal(got, want) {
		t.Errorf("layer entry %s mode %#o with %d bytes, want hello mode 0755 with the %d bytes of %s",
			hdr.Name, hdr.Mode, len(got), len(want), checkedInELF)
	}
	f, err := elf.NewFile(bytes.NewReader(got))
	if err != nil {
		t.Fatalf("the packed /hello is not an ELF file: %v", err)
	}
	if f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_EXEC {
		t.Errorf("packed /hello is %v %v, want EM_AARCH64 ET_EXEC", f.Machine, f.Type)
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Errorf("layer has more than /hello (err %v)", err)
	}

	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Architecture != "arm64" || len(cfg.Config.Entrypoint) != 1 || cfg.Config.Entrypoint[0] != "/hello" {
		t.Errorf("config %s entrypoint %q, want arm64 running /hello", cfg.Architecture, cfg.Config.Entrypoint)
	}
	if d, err := img.Digest(); err != nil || d.String() != pinnedELFManifest {
		t.Errorf("manifest digest = %v (%v), want %s", d, err, pinnedELFManifest)
	}

	t.Run("is reproducible", func(t *testing.T) {
		dir := t.TempDir()
		cp := filepath.Join(dir, "copy")
		if err := os.WriteFile(cp, want, 0o600); err != nil {
			t.Fatal(err)
		}
		again := mustBuild(t, elfSpec(cp))
		d1, _ := img.Digest()
		d2, _ := again.Digest()
		if d1 != d2 {
			t.Errorf("a copy with another name and mode gives %s, the original %s", d2, d1)
		}
	})
}
