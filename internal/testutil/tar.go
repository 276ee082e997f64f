package testutil

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ulikunitz/xz"
)

// TarEntry is one entry of a crafted tarball.
type TarEntry struct {
	Name, Body, Link string
	Type             byte
	Mode             int64
}

// TarFile is a regular file entry, mode 0644.
func TarFile(name, body string) TarEntry {
	return TarEntry{Name: name, Body: body, Type: tar.TypeReg, Mode: 0o644}
}

// TarTime is the modification time of every entry Tar writes.
var TarTime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// Tar is a plain tarball of entries, in their order; a
// tar.TypeXGlobalHeader entry carries a pax comment, as git archive's.
func Tar(t testing.TB, entries ...TarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Typeflag: e.Type, Mode: e.Mode, Linkname: e.Link, Size: int64(len(e.Body)), ModTime: TarTime}
		if e.Type != tar.TypeReg {
			h.Size = 0
		}
		if e.Type == tar.TypeXGlobalHeader {
			h = &tar.Header{Name: e.Name, Typeflag: e.Type, PAXRecords: map[string]string{"comment": "commit"}}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte(e.Body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Gzip compresses b with gzip.
func Gzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// XZ compresses b with xz.
func XZ(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// WriteFile writes b to p, making its folder, and returns p.
func WriteFile(t testing.TB, p string, b []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TempNames lists every .tmp- name under dir: what a failure may not
// leave.
func TempNames(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			out = append(out, p)
		}
		return nil
	})
	return out
}
