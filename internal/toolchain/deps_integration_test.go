package toolchain_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/testutil"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// TestIntegrationDeps builds small recipes with the real host gcc, a cross
// gcc, musl-gcc and zig cc: every compiler writes the -MD file Build checks,
// a recipe with a local header builds, and one that reads a header from
// outside its folder (by "../", by -I.. or through a symlink) fails with a
// *DepError naming the source, the header as written and where it is.
func TestIntegrationDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("builds real binaries; skipped with -short")
	}
	cache := testutil.CacheDir(t)
	root := filepath.Join(t.TempDir(), "recipes")
	shared := filepath.Join(root, "shared", "msg.h")
	writeFile(t, shared, "#define MSG \"shared\"\n")
	main := "#include <stdio.h>\n#include %s\nint main(void) { puts(MSG); return 0; }\n"
	cases := []struct {
		name    string
		files   map[string]string
		path    string // the header as the compiler names it; "" builds
		outside bool
	}{
		{name: "local", files: map[string]string{
			"main.c": strings.Replace(main, "%s", `"msg.h"`, 1), "msg.h": "#define MSG \"local\"\n"}},
		{name: "dotdot", files: map[string]string{"main.c": strings.Replace(main, "%s", `"../shared/msg.h"`, 1)},
			path: "../shared/msg.h", outside: true},
		{name: "include-flag", files: map[string]string{"main.c": strings.Replace(main, "%s", `"msg.h"`, 1),
			"recipe.toml": "language = \"c\"\nsources = [\"main.c\"]\ncflags = [\"-Os\", \"-I../shared\"]\n"},
			path: "../shared/msg.h", outside: true},
		// The link is made after Load (which refuses it): Build still
		// refuses it, through recipe.Inputs.
		{name: "symlink", files: map[string]string{"main.c": strings.Replace(main, "%s", `"msg.h"`, 1)},
			path: "msg.h", outside: true},
		{name: "not-an-input", files: map[string]string{"main.c": strings.Replace(main, "%s", `"msg.txt"`, 1),
			"msg.txt": "#define MSG \"txt\"\n"}, path: "msg.txt"},
	}
	recipes := map[string]*recipe.Recipe{}
	for _, c := range cases {
		dir := filepath.Join(root, c.name)
		if _, ok := c.files["recipe.toml"]; !ok {
			writeFile(t, filepath.Join(dir, "recipe.toml"), "language = \"c\"\nsources = [\"main.c\"]\ncflags = [\"-Os\"]\n")
		}
		for f, content := range c.files {
			writeFile(t, filepath.Join(dir, f), content)
		}
		r, err := recipe.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		recipes[c.name] = r
	}
	if err := os.Symlink("../shared/msg.h", filepath.Join(root, "symlink", "msg.h")); err != nil {
		t.Fatal(err)
	}

	cells := []struct {
		toolchain string
		platform  recipe.Platform
	}{
		{"gcc", recipe.AMD64}, {"gcc", recipe.ARM64}, {"musl-gcc", recipe.AMD64}, {"zig", recipe.AMD64},
	}
	for _, cell := range cells {
		t.Run(cell.toolchain+"-"+cell.platform.Arch(), func(t *testing.T) {
			d := loadReal(t, cell.toolchain)
			envCfg := toolchain.EnvConfig{SourceDateEpoch: 1704067200, CacheDir: cache, TempDir: t.TempDir()}
			var s toolchain.Status
			for _, st := range toolchain.Detect(t.Context(), toolchain.Exec, d, integrationSearchDirs(d, cache), envCfg) {
				if st.Target.Platform == cell.platform {
					s = st
				}
			}
			if !s.Available {
				testutil.Missing(t, "%s for %s is not available: %s (%s)", d.Name, cell.platform, s.Reason, s.Hint)
			}
			env := envCfg
			env.PathDirs = s.PathDirs
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					r := recipes[c.name]
					bin, err := buildHello(t, s, r, recipe.Static, toolchain.Env(env))
					if c.path == "" {
						if err != nil {
							t.Fatal(err)
						}
						checkHelloELF(t, bin, cell.platform, recipe.Static)
						return
					}
					if c.name == "symlink" {
						if want := "msg.h: symlink to " + shared + ", outside the recipe folder"; err == nil || !strings.Contains(err.Error(), want) {
							t.Fatalf("Build error = %v, want %q", err, want)
						}
						return
					}
					var de *toolchain.DepError
					if !errors.As(err, &de) {
						t.Fatalf("Build error = %v, want a *DepError", err)
					}
					want := toolchain.DepError{Recipe: c.name, Source: "main.c", Path: c.path,
						Resolved: filepath.Join(r.Dir, c.path), Outside: c.outside}
					if c.outside {
						want.Resolved = shared
					}
					if *de != want {
						t.Errorf("DepError = %+v, want %+v", *de, want)
					}
					if c.outside && !strings.Contains(err.Error(), "copy it into recipes/"+c.name+"/") {
						t.Errorf("error does not say what to do: %v", err)
					}
				})
			}
		})
	}
}
