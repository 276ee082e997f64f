package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/fromscratch/fromscratch/internal/elfdeps"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

func TestCheckLinkage(t *testing.T) {
	tests := []struct {
		file     string // in internal/elfdeps/testdata
		platform recipe.Platform
		linkage  recipe.Linkage
		wantErr  string
	}{
		{"hello-amd64-static", recipe.AMD64, recipe.Static, ""},
		{"hello-amd64-static-pie", recipe.AMD64, recipe.Static, ""}, // static-pie counts as static
		{"hello-amd64-dynamic", recipe.AMD64, recipe.Dynamic, ""},
		{"hello-amd64-dynamic", recipe.AMD64, recipe.Static, "static cell links dynamically"},
		{"hello-amd64-static", recipe.AMD64, recipe.Dynamic, "not dynamically linked"},
		{"hello-arm64-static", recipe.ARM64, recipe.Static, ""},
		{"hello-arm64-static", recipe.AMD64, recipe.Static, "ELF is EM_AARCH64"},
		{"hello-arm-v7-dynamic", recipe.ARMv7, recipe.Dynamic, ""},
		{"hello-riscv64-dynamic", recipe.RISCV64, recipe.Dynamic, ""},
		{"hello-riscv64-dynamic", recipe.ARM64, recipe.Dynamic, "needs EM_AARCH64"},
	}
	for _, tt := range tests {
		t.Run(tt.file+" as "+string(tt.platform)+" "+string(tt.linkage), func(t *testing.T) {
			info, err := elfdeps.InspectFile(filepath.Join(repoRoot(t), "internal", "elfdeps", "testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			err = checkLinkage(info, tt.platform, tt.linkage)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("checkLinkage: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("checkLinkage = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

// fakeJob is the hello recipe's gcc amd64 cell with a fake
// compiler: the ko pattern, so image assembly is tested without compiling.
func fakeJob(t *testing.T, linkage recipe.Linkage) (Options, Job, toolchain.Runner) {
	t.Helper()
	root := repoRoot(t)
	cfg := testOptions(t, root)
	r, err := recipe.Load(filepath.Join(root, "recipes", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	defs, err := toolchain.LoadAll(filepath.Join(root, "toolchains"))
	if err != nil {
		t.Fatal(err)
	}
	var gcc *toolchain.Definition
	for _, d := range defs {
		if d.Name == "gcc" {
			gcc = d
		}
	}
	target, _ := gcc.Target(recipe.AMD64)
	// The fake compiler copies a checked-in tiny program to its -o path:
	// no compiler is needed.
	prebuilt := filepath.Join(root, "internal", "elfdeps", "testdata", "hello-amd64-"+string(linkage))
	fake := func(_ context.Context, c toolchain.Command, _ []string) ([]byte, error) {
		if i := slices.Index(c.Args, "-MF"); i >= 0 { // the dependency file: hello.c only
			if err := os.WriteFile(c.Args[i+1], []byte("x.o: hello.c\n"), 0o644); err != nil {
				return nil, err
			}
		}
		out := c.Args[len(c.Args)-1]
		if out == "/dev/null" {
			return nil, nil
		}
		data, err := os.ReadFile(prebuilt)
		if err != nil {
			return nil, err
		}
		return []byte("fake compiler\n"), os.WriteFile(out, data, 0o755)
	}
	j := Job{
		Cell:   recipe.Cell{Recipe: "hello", Platform: recipe.AMD64, Toolchain: "gcc", Linkage: linkage},
		Recipe: r, Def: gcc,
		Tool: toolchain.Status{Def: gcc, Target: target, Available: true, Version: "12.2.0"},
	}
	return cfg, j, fake
}

func TestRunCellWithFakeCompiler(t *testing.T) {
	for _, l := range recipe.Linkages {
		t.Run(string(l), func(t *testing.T) {
			cfg, j, fake := fakeJob(t, l)
			r := New(cfg, WithRunner(fake)).runCell(t.Context(), j)
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if err := validate.Image(r.Image); err != nil {
				t.Fatalf("validate.Image: %v", err)
			}
			if _, err := os.Stat(outdir.Path(cfg.OutDir).Archive(j.Cell)); err != nil {
				t.Fatalf("docker archive: %v", err)
			}
			log, err := os.ReadFile(filepath.Join(outdir.Path(cfg.OutDir).Bin(j.Cell), "build.log"))
			if err != nil || !strings.Contains(string(log), "fake compiler") {
				t.Fatalf("build.log = %q, %v", log, err)
			}
			if strings.Contains(string(log), cfg.OutDir) || strings.Contains(string(log), cfg.Root) {
				t.Errorf("build.log carries machine paths:\n%s", log)
			}
			wantLayers := map[recipe.Linkage]int{recipe.Static: 1, recipe.Dynamic: 2}[l]
			layers, _ := r.Image.Layers()
			if len(layers) != wantLayers {
				t.Errorf("%d layers, want %d", len(layers), wantLayers)
			}
			cf, _ := r.Image.ConfigFile()
			if cf.Config.Labels["dev.fromscratch.linkage"] != string(l) || cf.Config.Entrypoint[0] != "/hello" {
				t.Errorf("config: labels %v, entrypoint %v", cf.Config.Labels, cf.Config.Entrypoint)
			}
		})
	}
}

// A dynamic binary whose closure is not in the image would fail with
// "exec /hello: no such file or directory": it is never written.
func TestImageWithoutClosureIsRefused(t *testing.T) {
	cfg, j, fake := fakeJob(t, recipe.Dynamic)
	r := &Result{Job: j}
	ctx := t.Context()
	b := New(cfg, WithRunner(fake))
	for _, s := range []func(*Builder, context.Context, *Result) error{(*Builder).compile, (*Builder).checkELF} {
		if err := s(b, ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// The closure step is skipped: the image would hold the binary alone.
	err := b.buildImage(ctx, r)
	if err == nil || !strings.Contains(err.Error(), "/hello needs interpreter /lib64/ld-linux-x86-64.so.2") {
		t.Fatalf("buildImage without closure = %v, want the missing interpreter named", err)
	}
	if r.Image != nil {
		t.Fatal("an image was built")
	}
	if _, err := os.Stat(outdir.Path(cfg.OutDir).Archive(j.Cell)); !os.IsNotExist(err) {
		t.Fatalf("an archive was written: %v", err)
	}
}

func TestJobsMarkNotApplicable(t *testing.T) {
	root := repoRoot(t)
	cfg := testOptions(t, root)
	inv, err := New(cfg).Inventory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	jobs := inv.Jobs(nil)
	if want := len(inv.Recipes) * len(recipe.Platforms) * len(inv.Defs) * 2; len(jobs) != want {
		t.Fatalf("%d jobs, want every cell: %d", len(jobs), want)
	}
	reasons := map[string]string{}
	for _, j := range jobs {
		reasons[j.Cell.String()] = j.Reason
		if j.Status == matrix.StatusNotApplicable && j.Reason == "" {
			t.Errorf("%s is not applicable without a reason", j.Cell)
		}
	}
	for cell, want := range map[string]string{
		"cppcontainers linux/amd64 musl-gcc-static": "C-only wrapper",
		"hello linux/arm64 musl-gcc-dynamic":        "does not target linux/arm64",
		"hello linux/riscv64 zig-dynamic":           "cannot assemble glibc's riscv64 start.S",
		"threads linux/arm/v7 zig-dynamic":          "excluded by recipe",
	} {
		if !strings.Contains(reasons[cell], want) {
			t.Errorf("%s: reason %q, want it to contain %q", cell, reasons[cell], want)
		}
	}
}

// A cell whose toolchain links with -s fails when its binary still holds
// a symbol table (the build replaced the cell's LDFLAGS), naming it; a
// stripped one passes.
func TestUnstrippedBinaryFails(t *testing.T) {
	cfg, j, fake := fakeJob(t, recipe.Static)
	cfg.CacheDir = t.TempDir() // never the shared cache's entry of this cell
	if !j.Def.Strips(recipe.Static) {
		t.Fatal("gcc's static cells do not link with -s")
	}
	unstripped := filepath.Join(repoRoot(t), "internal", "elfdeps", "testdata", "foo.o") // x86-64, with .symtab
	run := func(ctx context.Context, c toolchain.Command, env []string) ([]byte, error) {
		out, err := fake(ctx, c, env)
		if o := c.Args[len(c.Args)-1]; err == nil && filepath.Base(o) == j.Recipe.Name {
			data, rerr := os.ReadFile(unstripped)
			if rerr != nil {
				return nil, rerr
			}
			err = os.WriteFile(o, data, 0o755)
		}
		return out, err
	}
	r := New(cfg, WithRunner(run)).runCell(t.Context(), j)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "symbol table (.symtab) though the cell links with -s") {
		t.Fatalf("error = %v, want the unstripped binary named", r.Err)
	}
	cfg.OutDir, cfg.CacheDir = filepath.Join(t.TempDir(), "out"), t.TempDir()
	if r := New(cfg, WithRunner(fake)).runCell(t.Context(), j); r.Err != nil {
		t.Fatalf("a stripped binary: %v", r.Err)
	}
}
