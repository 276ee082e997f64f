package toolchain_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/elfdeps"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/testutil"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// TestIntegrationBuildSystems builds the tiny projects of
// testdata/projects with their build systems through toolchain.Exec and
// the explicit environment, on amd64 and a foreign platform, installs them
// into a stage and checks the ELF file: machine, and no PT_INTERP in a
// static cell; amd64 binaries also run, and show that -ffile-prefix-map
// kept the build paths out. No zig configure here (zig's per-invocation
// cost makes configure take minutes); zig builds the make project.
func TestIntegrationBuildSystems(t *testing.T) {
	if testing.Short() {
		t.Skip("builds real projects; skipped with -short")
	}
	cache := testutil.CacheDir(t)
	cells := []struct {
		build     recipe.BuildSystem
		project   string
		toolchain string
		platform  recipe.Platform
		linkage   recipe.Linkage
	}{
		{recipe.BuildAutotools, "autoproj", "gcc", recipe.AMD64, recipe.Static},
		{recipe.BuildAutotools, "autoproj", "gcc", recipe.ARM64, recipe.Dynamic},
		{recipe.BuildCMake, "cmakeproj", "gcc", recipe.AMD64, recipe.Static},
		{recipe.BuildCMake, "cmakeproj", "gcc", recipe.ARM64, recipe.Dynamic},
		{recipe.BuildMake, "makeproj", "gcc", recipe.AMD64, recipe.Dynamic},
		{recipe.BuildMake, "makeproj", "gcc", recipe.ARM64, recipe.Static},
		{recipe.BuildMake, "makeproj", "zig", recipe.RISCV64, recipe.Static},
	}
	for _, c := range cells {
		t.Run(string(c.build)+"/"+c.toolchain+"/"+c.platform.Dir()+"/"+string(c.linkage), func(t *testing.T) {
			tool := map[recipe.BuildSystem]string{recipe.BuildAutotools: "make", recipe.BuildCMake: "cmake", recipe.BuildMake: "make"}[c.build]
			for _, need := range []string{tool, "ninja"} {
				if need == "ninja" && c.build != recipe.BuildCMake {
					continue
				}
				if _, err := exec.LookPath(need); err != nil {
					testutil.Missing(t, "%s is not installed (apt-get install make cmake ninja-build)", need)
				}
			}
			d := loadReal(t, c.toolchain)
			tg, _ := d.Target(c.platform)
			envCfg := toolchain.EnvConfig{SourceDateEpoch: 1704067200, CacheDir: cache, TempDir: t.TempDir()}
			var s toolchain.Status
			for _, st := range toolchain.Detect(t.Context(), toolchain.Exec, d, integrationSearchDirs(d, cache), envCfg) {
				if st.Target.Platform == c.platform {
					s = st
				}
			}
			if !s.Available {
				testutil.Missing(t, "%s for %s is not available: %s (%s)", d.Name, c.platform, s.Reason, s.Hint)
			}
			envCfg.PathDirs = s.PathDirs
			r := &recipe.Recipe{Name: c.project, Language: recipe.C, Build: c.build, Binary: "usr/bin/" + c.project}
			if c.build == recipe.BuildMake {
				r.Built = c.project
			}
			root := t.TempDir()
			p := toolchain.Project{
				Def: d, Target: tg, Linkage: c.linkage, Recipe: r, Resolved: s.Resolved,
				SourceDir: filepath.Join(root, "src"), WorkDir: filepath.Join(root, "work"), StageDir: filepath.Join(root, "stage"),
				ConfigCache: filepath.Join(root, "cache", "config.cache"), Jobs: 2,
			}
			copyTree(t, filepath.Join("testdata", "projects", c.project), p.SourceDir)
			log, err := toolchain.BuildProject(t.Context(), toolchain.Exec, p, p.Env(toolchain.Env(envCfg)))
			if err != nil {
				t.Fatalf("BuildProject: %v\n%s", err, log)
			}
			bin := filepath.Join(p.StageDir, "usr", "bin", c.project)
			info, err := elfdeps.InspectFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			if info.Machine != elfMachines[c.platform] {
				t.Errorf("machine %v, want %v", info.Machine, elfMachines[c.platform])
			}
			if (c.linkage == recipe.Static) != (info.Interp == "") {
				t.Errorf("a %s cell has PT_INTERP %q", c.linkage, info.Interp)
			}
			data, _ := os.ReadFile(bin)
			if bytes.Contains(data, []byte(root)) {
				t.Errorf("the binary contains the build folder %s", root)
			}
			if c.build == recipe.BuildAutotools {
				if b, _ := os.ReadFile(p.ConfigCache); !strings.Contains(string(b), "ac_cv_prog_cc_works") {
					t.Errorf("the shared config.cache was not written back: %q", b)
				}
			}
			if c.platform == recipe.AMD64 {
				out, err := exec.Command(bin).CombinedOutput()
				o := string(out)
				if err != nil || !(strings.HasSuffix(o, " from main.c\n") || strings.HasSuffix(o, " from ./main.c\n")) {
					t.Errorf("running it: %v: %q (want the source named main.c or ./main.c, not its build path)", err, out)
				}
			}
			t.Logf("%s: %d bytes", bin[len(root):], len(data))
		})
	}
}

// copyTree copies the regular files under src to dst, keeping the execute bits.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		st, _ := d.Info()
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, st.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}
