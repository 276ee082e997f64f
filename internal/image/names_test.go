package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

func TestUSTARProblem(t *testing.T) {
	a := func(n int) string { return strings.Repeat("a", n) }
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{a(100), true},
		{a(101), false},
		{a(155) + "/" + a(100), true},
		{a(156) + "/" + a(100), false},
		{a(155) + "/" + a(101), false},
		{a(50) + "/" + a(50) + "/" + a(100), true}, // splits at the last '/' that leaves a short enough prefix
		{a(99) + "/", true},
		{a(100) + "/", false}, // a directory's name has a trailing '/', and one component cannot be split
		{a(50) + "/" + a(99) + "/", true},
		{a(50) + "/" + a(100) + "/", false}, // the trailing '/' counts in the 100
		{a(160) + "/", false},
		{"h\u00e9llo", false},
		{"a\x00b", false},
	} {
		if why := ustarProblem(tc.name); (why == "") != tc.ok {
			t.Errorf("ustarProblem(%d bytes %.20q...) = %q, want ok %v", len(tc.name), tc.name, why, tc.ok)
		}
	}
}

// A path that plain USTAR cannot hold is refused before anything is written, with a message that
// says why, instead of archive/tar's "cannot encode header" halfway through a layer.
func TestBuildRejectsUnencodablePaths(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		want       []string
	}{
		{"one long name", "/" + strings.Repeat("n", 101),
			[]string{`Layers[0].Files[0].Path "/nnn`, "cannot be written in a USTAR tar header", "is 101 bytes long", "155 bytes before and 100 after"}},
		{"112-byte recipe name", "/" + strings.Repeat("r", 112), []string{"is 112 bytes long"}},
		{"long prefix", "/" + strings.Repeat("d", 160) + "/hello", []string{"is 166 bytes long"}},
		// The file splits into "ddd..." and "hello", but its directory "ddd.../" is one component.
		{"long directory", "/" + strings.Repeat("d", 120) + "/hello",
			[]string{"Layers[0].Files[0].Path needs the directory /ddd", "cannot be written in a USTAR tar header", "is 121 bytes long"}},
		{"non-ASCII", "/h\u00e9llo", []string{"\"/h\u00e9llo\" cannot be written in a USTAR tar header: it has the byte 0xc3"}},
		{"NUL", "/a\x00b", []string{"it has the byte 0x0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := fixtureSpec("testdata", "linux/amd64")
			spec.Layers[0].Files[0].Path = tc.path
			_, err := Build(spec)
			if !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("Build = %v, want an ErrInvalidSpec", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// Paths up to the USTAR limits are written as plain USTAR, split into prefix and name where
// needed, and read back whole; no PAX record appears.
func TestBuildLongPaths(t *testing.T) {
	paths := []string{
		"/" + strings.Repeat("a", 100),
		"/" + strings.Repeat("d", 99) + "/" + strings.Repeat("f", 90),
		"/" + strings.Repeat("p", 60) + "/" + strings.Repeat("d", 90) + "/" + strings.Repeat("f", 90),
		"/" + strings.Repeat("x", recipe.MaxNameLen),
	}
	spec := fixtureSpec("testdata", "linux/amd64")
	spec.Layers = spec.Layers[:1]
	for _, p := range paths {
		spec.Layers[0].Files = append(spec.Layers[0].Files, File{Path: p, Source: filepath.Join("testdata", "hello"), Mode: 0o755})
	}
	layers, err := mustBuild(t, spec).Layers()
	if err != nil {
		t.Fatal(err)
	}
	raw := layerBytes(t, layers[0], false)
	checkUSTARBlocks(t, raw)
	got := map[string]bool{}
	tr := tar.NewReader(bytes.NewReader(raw))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Format != tar.FormatUSTAR || len(hdr.PAXRecords) != 0 {
			t.Errorf("%s: format %v, PAX records %v, want plain USTAR", hdr.Name, hdr.Format, hdr.PAXRecords)
		}
		got["/"+strings.TrimSuffix(hdr.Name, "/")] = true
	}
	dirs := []string{"/" + strings.Repeat("d", 99), "/" + strings.Repeat("p", 60) + "/" + strings.Repeat("d", 90)}
	for _, p := range append(append(paths, "/hello"), dirs...) {
		if !got[p] {
			t.Errorf("layer has no entry %.40s... (%d bytes)", p, len(p))
		}
	}
}

// Every name recipe.ValidName accepts, and every name recipe.ImageName makes, fits each place
// this package puts it: an image tag, the program's path /<name> in a layer, and an archive file
// name <name>_<toolchain>-<linkage>_<arch>.tar.
func TestRecipeNamesFitImages(t *testing.T) {
	names := []string{"hello", "a", "lua5.4", "a__b", "a---b", "a_b.c-d", strings.Repeat("z", recipe.MaxNameLen)}
	for _, base := range []string{"Hello World", "g++", "C++ Filt 2.0", strings.Repeat("Long Name ", 20)} {
		n, err := recipe.ImageName(base)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	for _, n := range names {
		if err := recipe.ValidName(n); err != nil {
			t.Fatal(err)
		}
		if _, err := name.NewTag(n + ":gcc-static-amd64"); err != nil {
			t.Errorf("name %q makes no valid tag: %v", n, err)
		}
		if _, err := name.NewTag("127.0.0.1:5000/"+n+":gcc-static-amd64", name.StrictValidation); err != nil {
			t.Errorf("name %q makes no valid tag on a registry: %v", n, err)
		}
		if why := ustarProblem(n); why != "" {
			t.Errorf("/%s cannot be a layer path: %s", n, why)
		}
		if file := n + "_musl-gcc-dynamic_riscv64.tar"; len(file) > 255 {
			t.Errorf("archive name %s is %d bytes, over the 255 a file name can have", file, len(file))
		}
	}
}
