package pipeline

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// sizes is a small autoconf project whose config.h holds compile results
// (a header, a size, inline) and a link result (strdup), which its
// program prints.
var sizes = map[string]string{
	"sizes.c": "#include \"config.h\"\n#include <stdio.h>\n" +
		"static inline int found(void) {\n#ifdef HAVE_STRDUP\n  return 1;\n#else\n  return 0;\n#endif\n}\n" +
		"int main(void) { printf(\"%d %d\\n\", SIZEOF_LONG, found()); return 0; }\n",
	"configure.ac": "AC_INIT([sizes], [1.0])\nAC_CONFIG_HEADERS([config.h])\nAC_PROG_CC\n" +
		"AC_CHECK_HEADERS([stdlib.h])\nAC_CHECK_SIZEOF([long])\nAC_C_INLINE\nAC_CHECK_FUNCS([strdup])\n" +
		"AC_CONFIG_FILES([Makefile])\nAC_OUTPUT\n",
	"Makefile.in": "CC = @CC@\nCFLAGS = @CFLAGS@\nCPPFLAGS = @CPPFLAGS@\nLDFLAGS = @LDFLAGS@\n" +
		"prefix = @prefix@\nexec_prefix = @exec_prefix@\nbindir = @bindir@\n" +
		"sizes: sizes.c config.h\n\t$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o sizes sizes.c\n" +
		"install: sizes\n\tinstall -D -m 755 sizes $(DESTDIR)$(bindir)/sizes\n",
	recipe.FileName: "language = \"c\"\nbuild = \"autotools\"\nautoreconf = true\nbinary = \"usr/bin/sizes\"\n" +
		"[smoke]\nstdout = \"8 1\\n\"\n",
}

// The dynamic cell of gcc's linux/amd64 after the static one starts from
// the static configure's compile results ("(cached)"), finds strdup by
// linking again, and builds the same bytes as a dynamic cell built from an
// empty configure cache. Three small cells in the build root.
func TestConfigureSharesCompileResultsBetweenLinkages(t *testing.T) {
	root := t.TempDir()
	if err := os.CopyFS(filepath.Join(root, "toolchains"), os.DirFS(filepath.Join(repoRoot(t), "toolchains"))); err != nil {
		t.Fatal(err)
	}
	writeProject(t, root, "sizes", sizes)
	o := hermeticOptions(t, root)
	o.Platforms, o.Toolchains = []recipe.Platform{recipe.AMD64}, []string{"gcc"}
	// fresh is o with a cache and out/ of their own (the build root and
	// the Debian packages linked in): an empty configure cache.
	fresh := func(name string, l recipe.Linkage) Options {
		c := o
		c.CacheDir, c.OutDir = filepath.Join(t.TempDir(), name, "cache"), filepath.Join(t.TempDir(), name, "out")
		if err := os.MkdirAll(c.CacheDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{"buildroot", "debian"} {
			if err := os.Symlink(filepath.Join(o.CacheDir, d), filepath.Join(c.CacheDir, d)); err != nil {
				t.Fatal(err)
			}
		}
		c.Linkages = []recipe.Linkage{l}
		return c
	}
	build := func(o Options) (log, bin []byte) {
		t.Helper()
		if r := buildRows(t, o, "sizes")["sizes"]; r.Status != matrix.StatusBuilt {
			t.Fatalf("sizes %s: %s %s", o.Linkages[0], r.Status, r.Reason)
		}
		dir := outdir.Path(o.OutDir).Bin(recipe.Cell{Recipe: "sizes", Platform: recipe.AMD64, Toolchain: "gcc", Linkage: o.Linkages[0]})
		log, _ = os.ReadFile(filepath.Join(dir, "build.log"))
		bin, err := os.ReadFile(filepath.Join(dir, "sizes"))
		if err != nil {
			t.Fatal(err)
		}
		return log, bin
	}

	_, alone := build(fresh("alone", recipe.Dynamic))
	shared := fresh("shared", recipe.Static)
	build(shared)
	shared.Linkages = []recipe.Linkage{recipe.Dynamic}
	log, bin := build(shared)
	for _, want := range []string{
		"checking for stdlib.h... (cached) yes",
		"checking size of long... (cached) 8",
		"checking for inline... (cached) inline",
		"checking for strdup... yes", // a link test: the dynamic cell's own
	} {
		if !bytes.Contains(log, []byte(want+"\n")) {
			t.Errorf("the dynamic configure did not say %q:\n%s", want, log)
		}
	}
	if !bytes.Equal(bin, alone) {
		t.Errorf("the dynamic binary after the static cell (%d bytes) differs from the one built alone (%d bytes)", len(bin), len(alone))
	}
	gcc := &toolchain.Definition{Name: "gcc"}
	files := map[string]struct{ has, hasNot string }{
		"gcc_linux-amd64_compile.cache": {"ac_cv_sizeof_long=", "ac_cv_func_strdup="},
		filepath.Base(toolchain.ConfigCacheFile("", gcc, recipe.AMD64, recipe.Static)):  {"ac_cv_func_strdup=", "ac_cv_sizeof_long="},
		filepath.Base(toolchain.ConfigCacheFile("", gcc, recipe.AMD64, recipe.Dynamic)): {"ac_cv_func_strdup=", "ac_cv_sizeof_long="},
	}
	for name, f := range files {
		data, _ := os.ReadFile(filepath.Join(shared.CacheDir, "configure", name))
		if !strings.Contains(string(data), f.has) || strings.Contains(string(data), f.hasNot) {
			t.Errorf("%s holds %s: want %s and not %s", name, data, f.has, f.hasNot)
		}
	}
}
