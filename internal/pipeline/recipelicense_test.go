package pipeline

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/source"
)

// A Debian source's licence is its debian/copyright's, read from the
// pinned .debian.tar.* (here vendored in the recipe folder, so nothing is
// fetched); a recipe's own license wins; a recipe of files without one,
// and a copyright file not in DEP-5, give none, with why.
func TestRecipeLicense(t *testing.T) {
	debianTar := func(dir, copyright string) (string, recipe.Pin) {
		var buf bytes.Buffer
		gz := gzip.NewWriter(&buf)
		tw := tar.NewWriter(gz)
		for name, body := range map[string]string{"debian/copyright": copyright, "debian/control": "Source: x\n"} {
			tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
			tw.Write([]byte(body))
		}
		tw.Close()
		gz.Close()
		sum := sha256.Sum256(buf.Bytes())
		name := "x_1.0-1.debian.tar.gz"
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		pin, err := recipe.ParsePin("sha256:" + hex.EncodeToString(sum[:]))
		if err != nil {
			t.Fatal(err)
		}
		return name, pin
	}
	store := &source.Store{Cache: t.TempDir()} // no fetcher: only the vendored file can be had
	deb := func(copyright, license string) *recipe.Recipe {
		dir := t.TempDir() // each recipe its own folder: the tarball's name is the same
		name, pin := debianTar(dir, copyright)
		return &recipe.Recipe{Name: "x", Dir: dir, License: license,
			Source: recipe.Source{Debian: "x", Version: "1.0-1", Files: map[string]recipe.Pin{name: pin}}}
	}
	dep5 := "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: a\nLicense: GPL-2+\n\nFiles: lib/*\nCopyright: b\nLicense: LGPL-2.1+ or Expat\n\nFiles: debian/*\nCopyright: c\nLicense: GPL-3+\n"
	for _, c := range []struct {
		name    string
		r       *recipe.Recipe
		want    string
		problem string
	}{
		{"debian/copyright", deb(dep5, ""), "GPL-2.0-or-later AND (LGPL-2.1-or-later OR MIT)", ""},
		{"the recipe's own", deb(dep5, "Apache-2.0"), "Apache-2.0", ""},
		{"not DEP-5", deb("This is the Debian prepackaged version of x.\n", ""), "NOASSERTION", "Debian source x 1.0-1: debian/copyright: not in Debian's machine-readable copyright format"},
		{"files without license", &recipe.Recipe{Name: "hello"}, "NOASSERTION", "recipe hello declares no license"},
	} {
		got, err := RecipeLicense(t.Context(), store, c.r)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got.Expr != c.want || !strings.Contains(got.Problem, c.problem) || (c.problem == "") != (got.Problem == "") {
			t.Errorf("%s: %+v, want %q with %q", c.name, got, c.want, c.problem)
		}
	}
}
