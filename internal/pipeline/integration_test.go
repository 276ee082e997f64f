package pipeline

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/smoke"
	"github.com/fromscratch/fromscratch/internal/testutil"
)

// TestBuildAll is the main job on the real recipes and toolchains: every
// applicable cell builds, every image validates and passes its smoke run in
// a container engine, and every size in matrix.json agrees with the files
// and blobs on disk. It builds as users do: in the pinned build root,
// with the shared action cache, and with the source URL the command line
// gives (cli.SourceURL, in every program's package note), so its cells
// have the keys of the cli package's release test, which go test runs
// beside it: whichever builds a cell first builds it, the other waits for
// its claim and restores it.
func TestBuildAll(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole matrix")
	}
	cfg := hermeticOptions(t, repoRoot(t))
	cfg.Smoke, cfg.NoCache = true, false
	cfg.Source = "https://github.com/fromscratch/fromscratch"
	// Every toolchain on linux/amd64 and linux/arm64, then the toolchains
	// but zig on linux/arm/v7 and linux/riscv64, into the same out/ (the
	// second run keeps the first one's rows). zig's libc (per target and
	// optimization mode: hello's -Os and the others' -O2 are two builds)
	// and libc++ cost minutes per target on a fresh machine, and are what
	// made CI's cold run long; zig on the other two platforms is
	// TestIntegrationHello's (internal/toolchain), on hello.
	jobs := 0
	for _, part := range []struct {
		platforms  []recipe.Platform
		toolchains []string
	}{
		{[]recipe.Platform{recipe.AMD64, recipe.ARM64}, nil},
		{[]recipe.Platform{recipe.ARMv7, recipe.RISCV64}, []string{"gcc", "musl-gcc"}},
	} {
		cfg.Platforms, cfg.Toolchains = part.platforms, part.toolchains
		rep, err := New(cfg).Build(t.Context())
		if err != nil {
			t.Fatalf("build of %v %v: %v", part.platforms, part.toolchains, err)
		}
		jobs += len(rep.Jobs)
	}
	m, err := matrix.Load(filepath.Join(cfg.OutDir, "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Rows) != jobs {
		t.Fatalf("matrix has %d rows for %d cells", len(m.Rows), jobs)
	}
	for _, f := range []string{"matrix.csv", "matrix.md", "matrix.svg"} {
		if st, err := os.Stat(filepath.Join(cfg.OutDir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	built := 0
	for _, row := range m.Rows {
		switch row.Status {
		case matrix.StatusBuilt:
			built++
			t.Run(strings.ReplaceAll(row.Key().String(), "/", "-"), func(t *testing.T) {
				checkRowAgainstDisk(t, cfg, row)
			})
		case matrix.StatusUnavailable:
			if cfg.RequireAll {
				t.Errorf("%s: unavailable: %s", row.Key(), row.Reason)
			}
		case matrix.StatusFailed:
			t.Errorf("%s failed: %s", row.Key(), row.Reason)
		}
	}
	if built == 0 {
		t.Fatal("no cell was built")
	}
	t.Logf("%d cells built of %d", built, len(m.Rows))
}

// checkRowAgainstDisk recomputes a row's sizes from out/bin, the OCI
// layout and the docker archive.
func checkRowAgainstDisk(t *testing.T, cfg Options, row matrix.Row) {
	p, _ := recipe.ParsePlatform(row.Platform)
	cell := recipe.Cell{Recipe: row.Recipe, Platform: p, Toolchain: row.Toolchain, Linkage: recipe.Linkage(row.Linkage)}
	bin, err := os.Stat(filepath.Join(outdir.Path(cfg.OutDir).Bin(cell), row.Recipe))
	if err != nil {
		t.Fatal(err)
	}
	if bin.Size() != row.Sizes.Binary {
		t.Errorf("binary: matrix %d, file %d", row.Sizes.Binary, bin.Size())
	}
	if _, err := os.Stat(outdir.Path(cfg.OutDir).Archive(cell)); err != nil {
		t.Errorf("docker archive: %v", err)
	}
	layoutDir := filepath.Join(cfg.OutDir, "oci", row.Recipe)
	img, err := image.Lookup(layoutDir, cell.Variant(), row.Platform)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatalf("validate.Image: %v", err)
	}
	if d, _ := img.Digest(); d.String() != row.Digest {
		t.Errorf("digest: matrix %s, layout %s", row.Digest, d)
	}
	manifest, _ := img.RawManifest()
	config, _ := img.RawConfigFile()
	mf, _ := img.Manifest()
	var compressed, uncompressed, content, libs int64
	for i, desc := range mf.Layers {
		st, err := os.Stat(blobPath(layoutDir, desc.Digest))
		if err != nil || st.Size() != desc.Size {
			t.Fatalf("layer blob %s: %v (size %d, descriptor %d)", desc.Digest, err, sizeOf(st), desc.Size)
		}
		compressed += st.Size()
		layer, _ := img.LayerByDigest(desc.Digest)
		rc, err := layer.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(rc)
		rc.Close()
		uncompressed += int64(len(raw))
		files := tarFiles(t, raw)
		for _, n := range files {
			content += n
		}
		if i == 0 && files[row.Recipe] != row.Sizes.Binary {
			t.Errorf("layer 1 holds /%s of %d bytes, binary is %d", row.Recipe, files[row.Recipe], row.Sizes.Binary)
		}
		if i == 1 && row.Sizes.LibraryCount > 0 { // the closure's layer; runtime_files come after it
			for _, n := range files {
				libs += n
			}
		}
	}
	if st, err := os.Stat(blobPath(layoutDir, mustConfigName(t, img))); err != nil || st.Size() != int64(len(config)) {
		t.Errorf("config blob: %v", err)
	}
	checks := []struct {
		name      string
		got, want int64
	}{
		{"layers_compressed", row.Sizes.LayersCompressed, compressed},
		{"layers_uncompressed", row.Sizes.LayersUncompressed, uncompressed},
		{"image_docker", row.Sizes.ImageDocker, content},
		{"image_registry", row.Sizes.ImageRegistry, compressed + int64(len(config)) + int64(len(manifest))},
		{"libraries", row.Sizes.Libraries, libs},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: matrix %d, on disk %d", c.name, c.got, c.want)
		}
	}
	if row.Linkage == "dynamic" && row.Sizes.LibraryCount == 0 {
		t.Error("dynamic cell without libraries")
	}
	switch {
	case row.Smoke.Status == smoke.StatusPass:
	case row.Smoke.Status == smoke.StatusSkipped && !testutil.RequireAll():
		t.Logf("smoke run skipped: %s", row.Smoke.Reason)
	default:
		t.Errorf("smoke run %q: %s", row.Smoke.Status, row.Smoke.Reason)
	}
}

func sizeOf(st os.FileInfo) int64 {
	if st == nil {
		return -1
	}
	return st.Size()
}

func blobPath(layout string, h v1.Hash) string {
	return filepath.Join(layout, "blobs", h.Algorithm, h.Hex)
}

func mustConfigName(t *testing.T, img v1.Image) v1.Hash {
	h, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// tarFiles maps each regular file of a layer tar to its size.
func tarFiles(t *testing.T, raw []byte) map[string]int64 {
	out := map[string]int64{}
	tr := tar.NewReader(bytes.NewReader(raw))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			out[strings.TrimPrefix(h.Name, "/")] = h.Size
		}
	}
}

// A recipe whose expected output is wrong fails its smoke run, and the
// run says so with a non-zero result.
func TestSmokeRunFailsWrongExpectation(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs images")
	}
	needEngine(t)
	root := t.TempDir()
	copyTree(t, filepath.Join(repoRoot(t), "toolchains"), filepath.Join(root, "toolchains"))
	copyTree(t, filepath.Join(repoRoot(t), "recipes", "hello"), filepath.Join(root, "recipes", "hello"))
	toml := filepath.Join(root, "recipes", "hello", "recipe.toml")
	data, _ := os.ReadFile(toml)
	data = bytes.Replace(data, []byte(`stdout = "Hello My Container! \n"`), []byte(`stdout = "Goodbye\n"`), 1)
	if err := os.WriteFile(toml, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testOptions(t, root)
	cfg.RequireAll = false
	// CI's four: the default, all nine, would build hello on five more
	// platforms (zig's libc for each among them) for nothing more to check.
	cfg.Platforms = recipe.CIPlatforms
	_, err := New(cfg).Build(t.Context())
	if err == nil || !strings.Contains(err.Error(), "failed") {
		t.Fatalf("BuildAll with a wrong expectation = %v, want a failure", err)
	}
	m, err := matrix.Load(filepath.Join(cfg.OutDir, "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, row := range m.Rows {
		if row.Status != matrix.StatusBuilt {
			continue
		}
		if row.Smoke.Status == smoke.StatusPass {
			t.Errorf("%s passed its smoke run with a wrong expectation", row.Key())
		}
		if row.Smoke.Status == smoke.StatusFail {
			failed++
			if !strings.Contains(row.Smoke.Reason, "Goodbye") || !strings.Contains(row.Smoke.Output, "Hello My Container!") {
				t.Errorf("%s: reason %q, output %q: want the expectation and the real output", row.Key(), row.Smoke.Reason, row.Smoke.Output)
			}
		}
	}
	if failed == 0 {
		t.Fatal("no smoke run failed")
	}
}

// A recipe may name a prebuilt ELF program instead of sources: its one
// cell gets its platform and linkage from the ELF, its closure, and runs.
func TestPrebuiltRecipe(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an image")
	}
	const prog = "/usr/bin/curl"
	testutil.NeedFile(t, prog)
	root := t.TempDir()
	copyTree(t, filepath.Join(repoRoot(t), "toolchains"), filepath.Join(root, "toolchains"))
	dir := filepath.Join(root, "recipes", "curl")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	toml := "description = \"the distribution's curl\"\nlanguage = \"c\"\nprebuilt = \"" + prog + "\"\n\n" +
		"[smoke]\nargs = [\"--version\"]\nstdout_regexp = '\\Acurl \\d'\n"
	if err := os.WriteFile(filepath.Join(dir, "recipe.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testOptions(t, root)
	rep, err := New(cfg).Build(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Jobs) != 1 {
		t.Fatalf("%d cells, want the one of the prebuilt program", len(rep.Jobs))
	}
	j := rep.Jobs[0]
	r := rep.Results[j.Cell.String()]
	if j.Cell.String() != "curl linux/amd64 prebuilt-dynamic" || r == nil || r.Err != nil {
		t.Fatalf("cell %s: %+v", j.Cell, r)
	}
	if n := len(r.Closure.Files); n < 12 {
		t.Errorf("curl's closure has %d files, want a dozen or more", n)
	}
	if e, _ := smoke.Detect(t.Context(), os.Environ()); e != nil && r.Smoke.Status != smoke.StatusPass {
		t.Errorf("smoke run: %s: %s", r.Smoke.Status, r.Smoke.Reason)
	}
}

// build:recipe NAME updates that recipe's rows of out/matrix.json and
// keeps the others.
func TestBuildRecipeKeepsOtherRows(t *testing.T) {
	if testing.Short() {
		t.Skip("builds")
	}
	cfg := testOptions(t, repoRoot(t))
	cfg.Smoke = false
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// A row of another recipe of the project, of its current version, is
	// kept; one of a recipe that is gone is dropped.
	multifile, err := recipe.Load(filepath.Join(repoRoot(t), "recipes", "multifile"))
	if err != nil {
		t.Fatal(err)
	}
	other := matrix.Row{Recipe: "multifile", Platform: "linux/amd64", Toolchain: "gcc", Linkage: "static", Status: matrix.StatusBuilt,
		RecipeVersion: newRecipeVersions(nil).of(multifile)}
	gone := matrix.Row{Recipe: "zzgone", Platform: "linux/amd64", Toolchain: "gcc", Linkage: "static", Status: matrix.StatusBuilt}
	if err := matrix.WriteAll(cfg.OutDir, &matrix.Matrix{SchemaVersion: matrix.SchemaVersion, Rows: []matrix.Row{other, gone}}); err != nil {
		t.Fatal(err)
	}
	cfg.Recipes = []string{"hello"}
	cfg.Platforms = []recipe.Platform{recipe.AMD64}
	if _, err := New(cfg).Build(t.Context()); err != nil {
		t.Fatal(err)
	}
	m, err := matrix.Load(filepath.Join(cfg.OutDir, "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	var hello, kept int
	for _, r := range m.Rows {
		switch {
		case r.Key() == other.Key():
			kept++
		case r.Recipe == "hello" && r.Platform == "linux/amd64":
			hello++
		default:
			t.Errorf("unexpected row %s", r.Key())
		}
	}
	if kept != 1 || hello == 0 {
		t.Fatalf("%d kept rows and %d hello rows", kept, hello)
	}
}

// image:all (ReuseBinaries without smoke runs) packs the cells out/bin
// holds and leaves the others out instead of failing them, and the rows
// of the images it packed again keep the smoke pass their stamps recorded
// for the same image.
func TestImagesPackOnlyWhatOutBinHolds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds")
	}
	needEngine(t)
	cfg := testOptions(t, repoRoot(t))
	cfg.Recipes, cfg.Platforms, cfg.Toolchains = []string{"hello"}, []recipe.Platform{recipe.AMD64}, []string{"gcc"}
	if _, err := New(cfg).Build(t.Context()); err != nil {
		t.Fatal(err)
	}
	before, err := matrix.Load(filepath.Join(cfg.OutDir, "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	images := cfg
	// The small recipes' matrix on CI's four platforms, every toolchain.
	images.Recipes, images.Platforms, images.Toolchains = smallRecipes, recipe.CIPlatforms, nil
	images.ReuseBinaries, images.Smoke = true, false
	rep, err := New(images).Build(t.Context())
	if err != nil {
		t.Fatalf("image:all over a partly built out/: %v", err)
	}
	if rep.LeftOut == 0 {
		t.Error("no cell was left out, yet out/bin holds only hello's amd64 gcc cells")
	}
	after, err := matrix.Load(filepath.Join(cfg.OutDir, "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Rows) != len(before.Rows) {
		t.Errorf("image:all wrote %d rows, want the %d of the cells it could pack", len(after.Rows), len(before.Rows))
	}
	for i, r := range after.Rows {
		if r.Status == matrix.StatusFailed {
			t.Errorf("%s failed: %s", r.Key(), r.Reason)
		}
		if i < len(before.Rows) && (r.Key() != before.Rows[i].Key() || r.Digest != before.Rows[i].Digest) {
			t.Errorf("row %d: %s %s, before %s %s", i, r.Key(), r.Digest, before.Rows[i].Key(), before.Rows[i].Digest)
		}
		if r.Status == matrix.StatusBuilt && r.Smoke.Status != smoke.StatusPass {
			t.Errorf("%s: smoke %q after image:all, want the recorded pass of the same image", r.Key(), r.Smoke.Status)
		}
	}
	// The stamps image:all wrote still describe the binaries: the next
	// build:all keeps them, their images and their smoke passes.
	again, err := New(cfg).Build(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for cell, r := range again.Results {
		if r.Origin != OriginKept || !r.ImageReused || r.Smoke.Status != smoke.StatusPass {
			t.Errorf("%s after image:all: origin %s, image reused %v, smoke %s; want kept, reused and the recorded pass", cell, r.Origin, r.ImageReused, r.Smoke.Status)
		}
	}
}

// Runs limited to one platform each, one after the other in one out/,
// leave a matrix and an OCI layout that agree: every built row's image is
// in the layout with the row's digest, and going back to the first
// platform repacks nothing.
func TestPartialRunsKeepEachOthersImages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds")
	}
	cfg := testOptions(t, repoRoot(t))
	cfg.Smoke = false
	cfg.Recipes, cfg.Toolchains = []string{"hello"}, []string{"gcc"}
	for _, p := range []recipe.Platform{recipe.AMD64, recipe.ARM64} {
		o := cfg
		o.Platforms = []recipe.Platform{p}
		if _, err := New(o).Build(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	m, err := matrix.Load(filepath.Join(cfg.OutDir, "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	built := 0
	for _, row := range m.Rows {
		if row.Status != matrix.StatusBuilt {
			continue
		}
		built++
		img, err := image.Lookup(filepath.Join(cfg.OutDir, "oci", "hello"), row.Toolchain+"-"+row.Linkage, row.Platform)
		if err != nil {
			t.Errorf("%s: not in the layout: %v", row.Key(), err)
			continue
		}
		if d, _ := img.Digest(); d.String() != row.Digest {
			t.Errorf("%s: layout %s, matrix %s", row.Key(), d, row.Digest)
		}
	}
	if built != 4 {
		t.Fatalf("%d built rows, want 4 (amd64 and arm64, static and dynamic)", built)
	}
	o := cfg
	o.Platforms = []recipe.Platform{recipe.AMD64}
	rep, err := New(o).Build(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for cell, r := range rep.Results {
		if !r.ImageReused {
			t.Errorf("%s was packed again after a run for another platform", cell)
		}
	}
}
