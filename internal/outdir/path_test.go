package outdir

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// The paths of out/ are the ones users, CI workflows and earlier runs'
// stamps know: pinned here.
func TestPaths(t *testing.T) {
	p := Path("/o")
	c := recipe.Cell{Recipe: "hello", Platform: recipe.ARMv7, Toolchain: "musl-gcc", Linkage: recipe.Static}
	for _, tc := range []struct{ got, want string }{
		{p.Bin(c), "/o/bin/hello/linux-arm-v7/musl-gcc-static"},
		{p.Docker(), "/o/docker"},
		{p.Archive(c), "/o/docker/hello_musl-gcc-static_arm-v7.tar"},
		{p.OCI("hello"), "/o/oci/hello"},
		{p.OCI(""), "/o/oci"},
		{p.Matrix(), "/o/matrix.json"},
		{p.MatrixMarkdown(), "/o/matrix.md"},
		{string(p.Release()), "/o/release"},
		{p.Release().SBOM(c), "/o/release/sbom/hello_musl-gcc-static_arm-v7.spdx.json"},
		{p.Release().OCI("x"), "/o/release/oci/x"},
		{p.Wrap("hello-world"), "/o/wrap/hello-world"},
		{p.Repro(), "/o/repro"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
	}
	if want := []string{"bin", "docker", "oci", "images", "release", "matrix.json", "matrix.csv", "matrix.md", "matrix.svg", "shard.json"}; !slices.Equal(Merged, want) {
		t.Errorf("Merged = %q, want %q", Merged, want)
	}
	for _, name := range append(slices.Clone(Merged), "wrap", "repro", ".lock", ".fromscratch", ".merge.tmp-1") {
		if !owned(name) {
			t.Errorf("%s is not fromscratch's", name)
		}
	}
	if owned("notes.txt") {
		t.Error("notes.txt is fromscratch's")
	}
}

// Layouts lists the recipe folders of oci/ that hold a layout, sorted,
// without a layout being written or a stray file; none without oci/.
func TestLayouts(t *testing.T) {
	p := Path(t.TempDir())
	if got, err := p.Layouts(); err != nil || got != nil {
		t.Fatalf("Layouts without oci/ = %v, %v", got, err)
	}
	for _, d := range []string{"zlib", "hello", ".hello.tmp-1", "empty"} {
		os.MkdirAll(p.OCI(d), 0o755)
	}
	for _, d := range []string{"zlib", "hello", ".hello.tmp-1"} {
		os.WriteFile(filepath.Join(p.OCI(d), "oci-layout"), []byte("{}"), 0o644)
	}
	os.WriteFile(p.OCI("stray"), nil, 0o644)
	got, err := p.Layouts()
	if err != nil || !slices.Equal(got, []string{"hello", "zlib"}) {
		t.Errorf("Layouts = %v, %v; want [hello zlib]", got, err)
	}
}

// The lock file and the temporaries are a run's state; everything else in
// out/ is an output, a lock file elsewhere included.
func TestRunState(t *testing.T) {
	p := Path("/o")
	for path, want := range map[string]bool{
		"/o/.lock":                         true,
		"/o/bin/hello/.gcc-static.tmp-123": true,
		"/o/oci/.release.tmp-9/index.json": false, // inside a temporary: the walk skips the folder itself
		"/o/bin/hello/linux-amd64/.lock":   false,
		"/o/matrix.json":                   false,
		"/o/oci/hello/index.json":          false,
	} {
		if got := p.RunState(path); got != want {
			t.Errorf("RunState(%s) = %v, want %v", path, got, want)
		}
	}
}
