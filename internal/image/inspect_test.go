package image

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// tarSize is the size of a USTAR archive: a header block per entry, content padded to 512, and
// two zero blocks at the end.
func tarSize(t *testing.T, dirs int, sources ...string) int64 {
	t.Helper()
	n := int64(dirs*512 + 1024)
	for _, s := range sources {
		info, err := os.Stat(s)
		if err != nil {
			t.Fatal(err)
		}
		n += 512 + (info.Size()+511)/512*512
	}
	return n
}

func TestHistory(t *testing.T) {
	img := mustBuild(t, fixtureSpec("testdata", "linux/arm/v7"))
	got, err := History(img)
	if err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join("testdata", "lib", "libfake.so.1")
	want := []HistoryEntry{ // newest first, like `docker image history`
		{CreatedBy: `CMD ["--greet","<world>"]`, EmptyLayer: true},
		{CreatedBy: `ENTRYPOINT ["/hello"]`, EmptyLayer: true},
		{CreatedBy: `LABEL fromscratch.cell="gcc static" org.opencontainers.image.created=2024-01-02T03:04:05Z ` +
			`org.opencontainers.image.description="says hello" org.opencontainers.image.revision=0123456789abcdef0123456789abcdef01234567 ` +
			`org.opencontainers.image.source=https://example.invalid/hello.git org.opencontainers.image.title=hello ` +
			`org.opencontainers.image.version=0+src.0123456789ab`, EmptyLayer: true},
		{CreatedBy: "COPY lib /usr/lib", Size: 2 * fileSize(t, lib)},
		{CreatedBy: "COPY hello /", Size: fileSize(t, filepath.Join("testdata", "hello"))},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("History =\n%+v\nwant\n%+v", got, want)
	}

	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range cfg.History {
		if !h.Created.Time.Equal(created) {
			t.Errorf("history[%d] created %v, want %v", i, h.Created.Time, created)
		}
	}
}

func TestHistoryWithoutConfigLines(t *testing.T) {
	spec := fixtureSpec("testdata", "linux/amd64")
	spec.Labels, spec.Metadata, spec.Cmd, spec.Entrypoint = nil, Metadata{}, nil, nil
	got, err := History(mustBuild(t, spec))
	if err != nil {
		t.Fatal(err)
	}
	// Every image says when it was built; nothing else was asked for.
	if len(got) != 3 || got[0].CreatedBy != "LABEL org.opencontainers.image.created=2024-01-02T03:04:05Z" ||
		got[1].CreatedBy != "COPY lib /usr/lib" || got[2].CreatedBy != "COPY hello /" {
		t.Errorf("History = %+v, want the created label and the two COPY lines", got)
	}
}

func TestSizesOf(t *testing.T) {
	img := mustBuild(t, fixtureSpec("testdata", "linux/amd64"))
	s, err := SizesOf(img)
	if err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join("testdata", "lib", "libfake.so.1")
	if want := tarSize(t, 0, filepath.Join("testdata", "hello")) + tarSize(t, 3, lib, lib); s.LayersUncompressed != want {
		t.Errorf("LayersUncompressed = %d, want %d", s.LayersUncompressed, want)
	}
	if want := fileSize(t, filepath.Join("testdata", "hello")) + 2*fileSize(t, lib); s.Content != want {
		t.Errorf("Content = %d, want the sum of the files: %d", s.Content, want)
	}
	rawCfg, _ := img.RawConfigFile()
	rawManifest, _ := img.RawManifest()
	if s.Config != int64(len(rawCfg)) || s.Manifest != int64(len(rawManifest)) {
		t.Errorf("Config %d Manifest %d, want %d and %d", s.Config, s.Manifest, len(rawCfg), len(rawManifest))
	}
	m, _ := img.Manifest()
	var compressed int64
	for i, l := range m.Layers {
		compressed += l.Size
		if s.PerLayer[i].Digest != l.Digest || s.PerLayer[i].Compressed != l.Size {
			t.Errorf("PerLayer[%d] = %+v, manifest says %s %d", i, s.PerLayer[i], l.Digest, l.Size)
		}
	}
	if s.LayersCompressed != compressed || s.Registry != s.Config+s.Manifest+compressed {
		t.Errorf("LayersCompressed %d Registry %d, want %d and %d", s.LayersCompressed, s.Registry, compressed, s.Config+s.Manifest+compressed)
	}
	if s.LayersCompressed >= s.LayersUncompressed {
		t.Errorf("compressed %d >= uncompressed %d: gzip is not compressing", s.LayersCompressed, s.LayersUncompressed)
	}
}

// fileSize is the size of a file, what docker counts for it in a layer.
func fileSize(t *testing.T, p string) int64 {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
