package image

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func layerBytes(t *testing.T, l v1.Layer, compressed bool) []byte {
	t.Helper()
	open := l.Uncompressed
	if compressed {
		open = l.Compressed
	}
	rc, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLayerTar(t *testing.T) {
	layers, err := mustBuild(t, fixtureSpec("testdata", "linux/riscv64")).Layers()
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		name     string
		typeflag byte
		mode     int64
		source   string
	}
	lib := filepath.Join("testdata", "lib", "libfake.so.1")
	for i, entries := range [][]want{
		{{"hello", tar.TypeReg, 0o755, filepath.Join("testdata", "hello")}},
		{
			{"usr/", tar.TypeDir, 0o755, ""},
			{"usr/lib/", tar.TypeDir, 0o755, ""},
			{"usr/lib/fake/", tar.TypeDir, 0o755, ""},
			{"usr/lib/fake/libfake.so.1", tar.TypeReg, 0o600, lib},
			{"usr/lib/libfake.so.1", tar.TypeReg, 0o644, lib},
		},
	} {
		raw := layerBytes(t, layers[i], false)
		tr := tar.NewReader(bytes.NewReader(raw))
		for j, w := range entries {
			hdr, err := tr.Next()
			if err != nil {
				t.Fatalf("layer %d entry %d: %v", i, j, err)
			}
			if hdr.Name != w.name || hdr.Typeflag != w.typeflag || hdr.Mode != w.mode {
				t.Errorf("layer %d entry %d: %s type %c mode %#o, want %s type %c mode %#o",
					i, j, hdr.Name, hdr.Typeflag, hdr.Mode, w.name, w.typeflag, w.mode)
			}
			if hdr.Uid != 0 || hdr.Gid != 0 || hdr.Uname != "" || hdr.Gname != "" {
				t.Errorf("%s: owner %d:%d %q:%q, want 0:0 and no names", hdr.Name, hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname)
			}
			if !hdr.ModTime.Equal(created) || !hdr.AccessTime.IsZero() || !hdr.ChangeTime.IsZero() {
				t.Errorf("%s: mtime %v atime %v ctime %v, want mtime %v only", hdr.Name, hdr.ModTime, hdr.AccessTime, hdr.ChangeTime, created)
			}
			if hdr.Format != tar.FormatUSTAR || len(hdr.PAXRecords) != 0 {
				t.Errorf("%s: format %v with PAX records %v, want plain USTAR", hdr.Name, hdr.Format, hdr.PAXRecords)
			}
			if w.source != "" {
				content, _ := io.ReadAll(tr)
				if src, _ := os.ReadFile(w.source); !bytes.Equal(content, src) {
					t.Errorf("%s: content differs from %s", hdr.Name, w.source)
				}
			}
		}
		if hdr, err := tr.Next(); err != io.EOF {
			t.Errorf("layer %d: extra entry %v (err %v)", i, hdr, err)
		}
		checkUSTARBlocks(t, raw)
	}
}

// checkUSTARBlocks walks the raw 512-byte blocks: every header is "ustar\x0000" with a regular
// or directory type flag, so there is no PAX ('x', 'g') or GNU record that could carry atime/ctime.
func checkUSTARBlocks(t *testing.T, raw []byte) {
	t.Helper()
	zero := make([]byte, 512)
	for off := 0; off+512 <= len(raw); {
		block := raw[off : off+512]
		if bytes.Equal(block, zero) {
			if rest := raw[off:]; !bytes.Equal(rest, make([]byte, len(rest))) || len(rest) != 1024 {
				t.Errorf("trailer at %d is %d bytes, not two zero blocks", off, len(rest))
			}
			return
		}
		if magic := string(block[257:265]); magic != "ustar\x0000" {
			t.Errorf("header at %d has magic %q", off, magic)
		}
		if flag := block[156]; flag != tar.TypeReg && flag != tar.TypeDir {
			t.Errorf("header at %d has type flag %q", off, flag)
		}
		hdr, err := tar.NewReader(bytes.NewReader(block)).Next()
		if err != nil {
			t.Fatalf("header at %d: %v", off, err)
		}
		off += 512 + int((hdr.Size+511)/512*512)
	}
	t.Error("tar has no trailer")
}

func TestLayerGzipHeader(t *testing.T) {
	layers, err := mustBuild(t, fixtureSpec("testdata", "linux/amd64")).Layers()
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range layers {
		gz := layerBytes(t, l, true)
		// ID1 ID2 CM FLG MTIME(4) XFL OS: deflate, no name/comment/extra, MTIME 0, best compression, OS unknown.
		want := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255}
		if !bytes.Equal(gz[:10], want) {
			t.Errorf("layer %d gzip header % x, want % x", i, gz[:10], want)
		}
	}
}

func TestEntries(t *testing.T) {
	got := entries([]File{
		{Path: "/a/b/c", Source: "s", Mode: 0o644},
		{Path: "/a-b", Source: "s", Mode: 0o644},
		{Path: "/a/b.txt", Source: "s", Mode: 0o644},
		{Path: "/a/b/a", Source: "s", Mode: 0o644},
	})
	var names []string
	for _, e := range got {
		names = append(names, e.name)
	}
	want := []string{"a-b", "a/", "a/b.txt", "a/b/", "a/b/a", "a/b/c"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("entries = %q, want %q", names, want)
	}
}
