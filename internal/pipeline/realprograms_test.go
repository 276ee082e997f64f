package pipeline

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/smoke"
)

// realSubset is what CI builds of the real programs (autotools, CMake and
// make projects from pinned Debian sources), chosen for cost: every build
// system and the library dependencies (jq on onig, pigz on zlib, whose
// source is vendored in its recipe folder, with a smoke run fed on stdin)
// with gcc on linux/amd64, static and dynamic; a foreign platform
// (linux/arm64, make and CMake);
// zig on the make project (lua: no configure, whose ~200 s per cell with
// zig would dominate). go tool mage setup build:all builds the whole matrix.
var realSubset = []struct {
	recipes    []string
	platforms  []recipe.Platform
	toolchains []string
}{
	{[]string{"gnuhello", "jq", "lua", "pigz", "tini"}, []recipe.Platform{recipe.AMD64}, []string{"gcc"}},
	{[]string{"lua", "tini"}, []recipe.Platform{recipe.ARM64}, []string{"gcc"}},
	{[]string{"lua"}, []recipe.Platform{recipe.AMD64}, []string{"zig"}},
}

// TestRealPrograms builds the real programs on realSubset, checks every
// image against the bytes on disk and its smoke run, that no binary holds
// a path of the machine, and that a real program built twice without the
// action cache, in other folders, gives the same bytes.
func TestRealPrograms(t *testing.T) {
	if testing.Short() {
		t.Skip("builds real programs from Debian sources")
	}
	root := repoRoot(t)
	cfg := testOptions(t, root)
	built := 0
	for i, s := range realSubset {
		// Each subset in its own out/: a run limited to some platforms
		// writes its recipes' OCI layouts from its own cells.
		o := cfg
		o.OutDir = filepath.Join(t.TempDir(), fmt.Sprint(i), "out")
		o.Recipes, o.Platforms, o.Toolchains = s.recipes, s.platforms, s.toolchains
		if _, err := New(o).Build(t.Context()); err != nil {
			t.Errorf("building %v on %v with %v: %v", s.recipes, s.platforms, s.toolchains, err)
		}
		m, err := matrix.Load(filepath.Join(o.OutDir, "matrix.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range m.Rows {
			t.Run(strings.ReplaceAll(row.Key().String(), "/", "-"), func(t *testing.T) {
				switch row.Status {
				case matrix.StatusBuilt:
					built++
					checkRowAgainstDisk(t, o, row)
					if row.Smoke.Status != smoke.StatusPass && (row.Smoke.Status != smoke.StatusSkipped || cfg.RequireAll) {
						t.Errorf("smoke %s: %s %q", row.Smoke.Status, row.Smoke.Reason, row.Smoke.Output)
					}
					p, _ := recipe.ParsePlatform(row.Platform)
					cell := recipe.Cell{Recipe: row.Recipe, Platform: p, Toolchain: row.Toolchain, Linkage: recipe.Linkage(row.Linkage)}
					checkNoMachinePaths(t, outdir.Path(o.OutDir).Bin(cell), o)
					if row.Recipe == "pigz" {
						checkPigz(t, o, root, cell, row)
					}
				case matrix.StatusNotApplicable:
				case matrix.StatusUnavailable:
					if cfg.RequireAll {
						t.Errorf("unavailable: %s", row.Reason)
					}
				default:
					t.Errorf("%s: %s", row.Status, row.Reason)
				}
			})
		}
	}
	if built == 0 {
		t.Fatal("no real program was built")
	}

	t.Run("reproducible", func(t *testing.T) {
		var sums []string
		for i := range 2 {
			o := cfg
			o.OutDir = filepath.Join(t.TempDir(), "elsewhere", strings.Repeat("x", i+1), "out")
			o.NoCache, o.Smoke = true, false
			o.Recipes, o.Platforms, o.Toolchains = []string{"gnuhello"}, []recipe.Platform{recipe.AMD64}, []string{"gcc"}
			if _, err := New(o).Build(t.Context()); err != nil {
				t.Fatal(err)
			}
			for _, l := range recipe.Linkages {
				c := recipe.Cell{Recipe: "gnuhello", Platform: recipe.AMD64, Toolchain: "gcc", Linkage: l}
				sum, err := cache.FileDigest(filepath.Join(outdir.Path(o.OutDir).Bin(c), "gnuhello"))
				if err != nil {
					t.Fatal(err)
				}
				sums = append(sums, sum)
			}
		}
		if sums[0] != sums[2] || sums[1] != sums[3] {
			t.Errorf("gnuhello built twice: %v", sums)
		}
	})
}

// checkNoMachinePaths fails when a file of a cell folder (the binary, its
// libraries, build.log) holds the output, cache or repository path.
func checkNoMachinePaths(t *testing.T, dir string, cfg Options) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "cell.json" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, bad := range []string{cfg.OutDir, cfg.CacheDir, cfg.Root, TempMark} {
			if strings.Contains(string(data), bad) {
				t.Errorf("%s holds %q", p, bad)
			}
		}
		return nil
	})
}

// checkPigz checks pigz's round trip and its zlib: the whole stdout of the
// smoke run (pigz -dc of a .gz fed on stdin) is the expected text, and a
// dynamic image carries libz.so.1 from the zlib recipe's stage in its
// closure (and a static one none).
func checkPigz(t *testing.T, o Options, root string, cell recipe.Cell, row matrix.Row) {
	t.Helper()
	if row.Smoke.Status == smoke.StatusPass {
		want, err := os.ReadFile(filepath.Join(root, "recipes", "pigz", "seq.txt"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(outdir.Path(o.OutDir).Bin(cell), "smoke.stdout"))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("pigz -dc printed %d bytes (%v), want the %d bytes of recipes/pigz/seq.txt", len(got), err, len(want))
		}
	}
	img, err := image.Lookup(filepath.Join(o.OutDir, "oci", "pigz"), cell.Variant(), row.Platform)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var libz []string
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		for name := range tarFiles(t, raw) {
			if strings.HasPrefix(path.Base(name), "libz.so") {
				libz = append(libz, name)
			}
		}
	}
	switch cell.Linkage {
	case recipe.Dynamic:
		if len(libz) != 1 || path.Base(libz[0]) != "libz.so.1" || row.Sizes.LibraryCount < 2 {
			t.Errorf("the dynamic pigz image holds zlib as %q (library_count %d), want libz.so.1 in its closure", libz, row.Sizes.LibraryCount)
		}
	case recipe.Static:
		if len(libz) != 0 {
			t.Errorf("the static pigz image holds %q", libz)
		}
	}
}
