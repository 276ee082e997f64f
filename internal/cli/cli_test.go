package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/release"
	"github.com/fromscratch/fromscratch/internal/smoke"
	"github.com/fromscratch/fromscratch/internal/testutil"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// image:wrap packs a distribution program with a few dozen libraries and
// the image runs.
func TestWrapDistributionBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an image")
	}
	const prog = "/usr/bin/curl"
	testutil.NeedFile(t, prog)
	root := repoRoot(t)
	c, out, cfg := testCLI(t, root)
	if err := c.Wrap(t.Context(), prog); err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	dir := filepath.Join(cfg.OutDir, "wrap", "curl")
	img, err := image.Lookup(filepath.Join(dir, "oci"), "wrap", "linux/amd64")
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatal(err)
	}
	engine := needEngine(t)
	res := smoke.Run(t.Context(), engine, smoke.Spec{
		Name: "curl:wrap", Archive: filepath.Join(dir, "image.tar"), Tag: "curl:wrap", Platform: "linux/amd64",
		Args: []string{"--version"}, Entrypoint: []string{"/curl"},
		Unpack: func(d string) error { return image.Unpack(img, d) }, Timeout: 60e9,
	}, smoke.Expect{Match: func(s string) bool { return strings.HasPrefix(s, "curl ") }, Want: "curl <version> ..."})
	if res.Status != smoke.StatusPass {
		t.Fatalf("curl --version in its scratch image: %s: %s", res.Status, res.Reason)
	}
}

// matrix:diff catches a deliberate growth past the threshold.
func TestDiffMatrixGate(t *testing.T) {
	dir := t.TempDir()
	row := matrix.Row{Recipe: "hello", Platform: "linux/amd64", Toolchain: "gcc", Linkage: "static",
		Status: matrix.StatusBuilt, Sizes: matrix.Sizes{Binary: 1000, ImageDocker: 2000, ImageRegistry: 1500}}
	write := func(name string, r matrix.Row) string {
		p := filepath.Join(dir, name)
		b, _ := json.Marshal(matrix.Matrix{SchemaVersion: matrix.SchemaVersion, Rows: []matrix.Row{r}})
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	old := write("old.json", row)
	grown := row
	grown.Sizes.Binary = 1100 // +10 %
	newer := write("new.json", grown)
	c, out, _ := testCLI(t, repoRoot(t))
	err := c.DiffMatrix(t.Context(), old, newer)
	if err == nil || !strings.Contains(err.Error(), "size gate") {
		t.Fatalf("DiffMatrix of a 10 %% growth = %v, want the gate to fail", err)
	}
	if !strings.Contains(out.String(), "hello") {
		t.Errorf("no delta printed:\n%s", out.String())
	}
	c, _, _ = testCLI(t, repoRoot(t), "FROMSCRATCH_MAX_GROWTH=15")
	if err := c.DiffMatrix(t.Context(), old, newer); err != nil {
		t.Fatalf("with a 15 %% threshold: %v", err)
	}
	// Comparing two files needs no cache: in a project without its own
	// toolchains/ (whose built-in files go into the cache), a cache path
	// that cannot be a folder (a file) fails the builds, not this.
	notDir := write("cache-is-a-file", row)
	project := t.TempDir()
	if err := os.Mkdir(filepath.Join(project, "recipes"), 0o755); err != nil {
		t.Fatal(err)
	}
	c = &CLI{root: project, out: &bytes.Buffer{}, log: &bytes.Buffer{}, run: toolchain.Exec,
		env: []string{"CI=true", "FROMSCRATCH_CACHE=" + notDir, "FROMSCRATCH_MAX_GROWTH=15"}}
	if err := c.DiffMatrix(t.Context(), old, newer); err != nil {
		t.Fatalf("with an unusable cache: %v", err)
	}
	if _, err := c.config(); err == nil {
		t.Error("config() with a file as the cache folder: no error; the check above proves nothing")
	}
}

// release writes the same bytes twice, and SHA256SUMS verifies. Its matrix
// keeps the smoke results without their durations, and no warning of a
// compiler's own cache.
func TestReleaseIsReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds twice")
	}
	// Two platforms: zig's libc and libc++ builds for each target cost
	// minutes on a fresh machine; the other two are TestIntegrationHello's
	// (internal/toolchain). The cells are TestBuildAll's (the same keys),
	// so whichever test builds one first builds it for both.
	c, _, cfg := testCLI(t, repoRoot(t), "FROMSCRATCH_PLATFORMS=linux/amd64,linux/arm64")
	c.recipes = []string{"hello", "cppcontainers"}
	var trees [2]map[string][]byte
	for i := range trees {
		if err := c.Release(t.Context()); err != nil {
			logFailedCells(t, cfg.OutDir)
			t.Fatal(err)
		}
		dir := filepath.Join(cfg.OutDir, "release")
		if err := release.VerifySHA256SUMS(dir); err != nil {
			t.Fatal(err)
		}
		trees[i] = testutil.ReadTree(t, dir)
	}
	if len(trees[0]) != len(trees[1]) {
		t.Fatalf("%d files, then %d", len(trees[0]), len(trees[1]))
	}
	sboms := 0
	for name, data := range trees[0] {
		if !bytes.Equal(data, trees[1][name]) {
			t.Errorf("%s differs between two releases%s", name, firstDifference(data, trees[1][name]))
		}
		if strings.HasPrefix(name, "sbom/") {
			sboms++
			if strings.Contains(string(data), cfg.Root) || strings.Contains(string(data), cfg.OutDir) {
				t.Errorf("%s carries a machine path", name)
			}
		}
	}
	if sboms == 0 || trees[0]["SHA256SUMS"] == nil || trees[0]["matrix.json"] == nil {
		t.Fatalf("release holds %d SBOMs, SHA256SUMS %v, matrix %v", sboms, trees[0]["SHA256SUMS"] != nil, trees[0]["matrix.json"] != nil)
	}
	rel, err := matrix.Load(filepath.Join(cfg.OutDir, "release", "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rel.Rows {
		if row.Status == matrix.StatusBuilt && (row.Smoke.Status == "" || row.Smoke.DurationMS != 0) {
			t.Errorf("%s: release smoke %+v, want a result without a duration", row.Key(), row.Smoke)
		}
		for _, w := range row.Warnings {
			if strings.HasPrefix(w, "$CACHE/") {
				t.Errorf("%s: the release records a warning of the toolchain's cache: %s", row.Key(), w)
			}
		}
	}
	// A dynamic arm64 C++ image carries the pinned target-architecture
	// packages (not the cross toolchain's), and says so in its SBOM.
	lock, err := debian.ReadLock(pipeline.LockPath(repoRoot(t)))
	if err != nil {
		t.Fatal(err)
	}
	pins, err := lock.Pins("linux/arm64", "libc6", "libstdc++6")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(trees[0]["sbom/cppcontainers_gcc-dynamic_arm64.spdx.json"])
	for _, pin := range pins {
		purl := "pkg:deb/debian/" + strings.ReplaceAll(pin.Name, "+", "%2B") + "@" + strings.ReplaceAll(pin.Version, "+", "%2B") + "?arch=arm64&distro=debian-12"
		if !strings.Contains(doc, purl) {
			t.Errorf("the arm64 C++ SBOM does not name the pinned %s (%s):\n%.3000s", pin, purl, doc)
		}
	}
	if strings.Contains(doc, "-arm64-cross") {
		t.Error("the arm64 C++ SBOM names a cross package: its libraries should come from the pinned packages")
	}
	// Every SBOM passes the SPDX project's validator.
	validator := testutil.SPDXValidator(t)
	for name := range trees[0] {
		if !strings.HasPrefix(name, "sbom/") {
			continue
		}
		cmd := exec.Command(validator, "-i", filepath.Join(cfg.OutDir, "release", name))
		cmd.Env = append(os.Environ(), "PATH=/usr/local/bin:/usr/bin:/bin")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("pyspdxtools -i %s: %v\n%s", name, err, out)
		}
	}
}

func TestSplitTag(t *testing.T) {
	for tag, want := range map[string][2]string{
		"gcc-dynamic-amd64":     {"gcc-dynamic", "amd64"},
		"musl-gcc-static-amd64": {"musl-gcc-static", "amd64"},
		"zig-static-arm-v7":     {"zig-static", "arm-v7"},
		"gcc-static-riscv64":    {"gcc-static", "riscv64"},
	} {
		v, a, err := splitTag(tag)
		if err != nil || v != want[0] || a != want[1] {
			t.Errorf("splitTag(%q) = %q, %q, %v; want %q", tag, v, a, err, want)
		}
	}
	if _, _, err := splitTag("gcc-amd64"); err == nil {
		t.Error("splitTag without a linkage: want an error")
	}
}

// repoRoot is the repository holding recipes/ and toolchains/.
func repoRoot(t *testing.T) string { return testutil.RepoRoot(t) }

// testCLI is a CLI on root whose environment is the test's PATH, HOME,
// cache and CI settings, a fresh FROMSCRATCH_OUT, and extra (KEY=VALUE).
func testCLI(t *testing.T, root string, extra ...string) (*CLI, *bytes.Buffer, Config) {
	t.Helper()
	env := []string{"CI=true", "FROMSCRATCH_OUT=" + filepath.Join(t.TempDir(), "out")}
	for _, k := range []string{"PATH", "HOME", "FROMSCRATCH_CACHE", "FROMSCRATCH_REQUIRE_ALL"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, extra...)
	var out bytes.Buffer
	c := &CLI{root: root, out: &out, log: &out, env: env, run: toolchain.Exec}
	cfg, err := c.config()
	if err != nil {
		t.Fatal(err)
	}
	return c, &out, cfg
}

// firstDifference is the first line where two text files differ, for a
// failure message ("" for a blob, which differs whole).
func firstDifference(a, b []byte) string {
	if b == nil {
		return ": only in the first"
	}
	if bytes.IndexByte(a, 0) >= 0 || !strings.Contains(string(a), "\n") {
		return ""
	}
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf(": line %d:\n  first:  %.300s\n  second: %.300s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf(": %d lines, then %d", len(al), len(bl))
}

// logFailedCells logs the reason of every cell of out/matrix.json that
// failed to build or to smoke-run: a test's temporary out/ is gone when
// CI prints its failure.
func logFailedCells(t *testing.T, out string) {
	t.Helper()
	m, err := matrix.Load(filepath.Join(out, "matrix.json"))
	if err != nil {
		t.Logf("no matrix to say which cells failed: %v", err)
		return
	}
	for _, r := range m.Rows {
		if r.Status == matrix.StatusFailed || r.Smoke.Status == recipe.SmokeFail {
			t.Logf("%s: %s %s; smoke %s %s", r.Key(), r.Status, r.Reason, r.Smoke.Status, r.Smoke.Reason)
		}
	}
}

// needEngine returns a usable container engine or stops the test.
func needEngine(t *testing.T) smoke.Engine {
	t.Helper()
	e, why := smoke.Detect(t.Context(), os.Environ())
	if e == nil {
		testutil.Missing(t, "no container engine: %s", why)
	}
	return e
}

// Two builds of one out/ at once take turns and leave a correct out/.
func TestConcurrentBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles")
	}
	root := repoRoot(t)
	out := filepath.Join(t.TempDir(), "out")
	var logs [2]*bytes.Buffer
	var clis [2]*CLI
	for i := range clis {
		clis[i], logs[i], _ = testCLI(t, root, "FROMSCRATCH_OUT="+out, "FROMSCRATCH_PLATFORMS=linux/amd64", "FROMSCRATCH_SMOKE=0")
	}
	errs := make(chan error, 2)
	for i := range clis {
		go func() { errs <- clis[i].Build(t.Context(), []string{"hello"}) }()
	}
	for range clis {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(logs[0].String()+logs[1].String(), "waiting for") {
		t.Error("neither run said it waited for the other")
	}
	m, err := matrix.Load(filepath.Join(out, "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	built := 0
	for _, row := range m.Rows {
		if row.Status != matrix.StatusBuilt {
			continue
		}
		built++
		img, err := image.Lookup(filepath.Join(out, "oci", row.Recipe), row.Toolchain+"-"+row.Linkage, row.Platform)
		if err != nil {
			t.Fatalf("%s: %v", row.Key(), err)
		}
		if d, _ := img.Digest(); d.String() != row.Digest {
			t.Errorf("%s: layout digest %s, matrix %s", row.Key(), d, row.Digest)
		}
		if err := image.Validate(img); err != nil {
			t.Errorf("%s: %v", row.Key(), err)
		}
	}
	if built == 0 {
		t.Fatal("nothing built")
	}
	var temps []string
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			temps = append(temps, p)
		}
		return nil
	})
	if len(temps) > 0 {
		t.Errorf("temporary files left: %v", temps)
	}
}
