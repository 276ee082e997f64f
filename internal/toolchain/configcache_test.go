package toolchain_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// Which configure results hold for both linkages: those of checks that
// only preprocess or compile, by autoconf's macros; every link or run
// test, and anything unknown, stays per linkage.
func TestSplitConfigCache(t *testing.T) {
	compile := []string{
		"ac_cv_build=${ac_cv_build=x86_64-pc-linux-gnu}",
		"ac_cv_header_stdlib_h=${ac_cv_header_stdlib_h=yes}",
		"ac_cv_header_sys_wait_h=yes",
		"ac_cv_type_size_t=${ac_cv_type_size_t=yes}",
		"ac_cv_type_uid_t=yes",
		"ac_cv_member_struct_tm_tm_gmtoff=${ac_cv_member_struct_tm_tm_gmtoff=yes}",
		"ac_cv_have_decl_strdup=${ac_cv_have_decl_strdup=yes}",
		"ac_cv_sizeof_long=${ac_cv_sizeof_long=8}",
		"ac_cv_alignof_double=8",
		"ac_cv_c_int64_t=yes",
		"ac_cv_c_uint8_t=yes",
		"ac_cv_c_inline=inline",
		"ac_cv_c_const=yes",
		"ac_cv_c_compiler_gnu=${ac_cv_c_compiler_gnu=yes}",
		"ac_cv_objext=${ac_cv_objext=o}",
		"ac_cv_prog_cc_g=${ac_cv_prog_cc_g=yes}",
		"ac_cv_prog_cc_c11=${ac_cv_prog_cc_c11=}",
		"ac_cv_prog_cc_gcc_c_o=yes",
		"ac_cv_prog_make_make_set=${ac_cv_prog_make_make_set=yes}",
		"ac_cv_sys_file_offset_bits=no",
		"ac_cv_safe_to_define___extensions__=yes",
	}
	link := []string{
		"ac_cv_func_strdup=${ac_cv_func_strdup=yes}",
		"ac_cv_func_malloc_0_nonnull=yes",
		"ac_cv_func_alloca_works=yes",
		"ac_cv_working_alloca_h=yes",
		"ac_cv_lib_m_cos=${ac_cv_lib_m_cos=yes}",
		"ac_cv_search_clock_gettime='none required'",
		"ac_cv_funclib_isatty=yes",
		// Named like compile checks, but they link or run.
		"ac_cv_header_stdc=yes",
		"ac_cv_header_sys_types_h_makedev=no",
		"ac_cv_type_getgroups=gid_t",
		"ac_cv_type_long_long_int=yes",
		"ac_cv_type_unsigned_long_long_int=yes",
		"ac_cv_exeext=",
		"ac_cv_c_bigendian=no",
		"ac_cv_c_stack_direction=-1",
		"ac_cv_sys_largefile_source=no",
		"ac_cv_prog_c_openmp=-fopenmp",
		"ac_cv_prog_lex_yytext_pointer=yes",
		// A project's own check: unknown, so per linkage.
		"ac_cv_c_int_works=yes",
	}
	in := "# a comment\n\n" + strings.Join(link, "\n") + "\n" + strings.Join(compile, "\n") + "\nnot an entry\n"
	gotC, gotL := toolchain.SplitConfigCache([]byte(in))
	for _, tt := range []struct {
		name      string
		got       []byte
		want, not []string
	}{{"compile", gotC, compile, link}, {"link", gotL, link, compile}} {
		lines := strings.Split(strings.TrimSuffix(string(tt.got), "\n"), "\n")
		if len(lines) != len(tt.want) {
			t.Errorf("%s: %d entries, want %d:\n%s", tt.name, len(lines), len(tt.want), tt.got)
		}
		for _, w := range tt.want {
			if !strings.Contains(string(tt.got), w+"\n") {
				t.Errorf("%s lacks %s", tt.name, w)
			}
		}
	}
	if c, l := toolchain.SplitConfigCache(nil); c != nil || l != nil {
		t.Errorf("an empty cache splits into %q and %q", c, l)
	}
}

// The static and dynamic cells of gcc and musl-gcc compile alike and
// share a compile cache; zig's compile for musl in one and glibc in the
// other and share none.
func TestCompileCacheFile(t *testing.T) {
	for _, tt := range []struct {
		toolchain string
		platform  recipe.Platform
		want      string
	}{
		{"gcc", recipe.AMD64, "/c/configure/gcc_linux-amd64_compile.cache"},
		{"gcc", recipe.ARM64, "/c/configure/gcc_linux-arm64_compile.cache"},
		{"musl-gcc", recipe.AMD64, "/c/configure/musl-gcc_linux-amd64_compile.cache"},
		{"zig", recipe.AMD64, ""},
		{"zig", recipe.ARM64, ""},
	} {
		d := loadReal(t, tt.toolchain)
		tg, ok := d.Target(tt.platform)
		if !ok {
			t.Fatalf("%s does not serve %s", tt.toolchain, tt.platform)
		}
		if got := toolchain.CompileCacheFile("/c", d, tg); got != tt.want {
			t.Errorf("CompileCacheFile(%s, %s) = %q, want %q", tt.toolchain, tt.platform, got, tt.want)
		}
	}
}

// linkageProjects are a static and a dynamic cell of one recipe that share
// one compile cache, each in its own folders.
func linkageProjects(t *testing.T) (static, dynamic toolchain.Project) {
	static, dynamic = fakeSharingProject(t), fakeSharingProject(t)
	dynamic.Linkage = recipe.Dynamic
	dir := filepath.Join(t.TempDir(), "configure")
	static.ConfigCache, dynamic.ConfigCache = filepath.Join(dir, "gcc_static.cache"), filepath.Join(dir, "gcc_dynamic.cache")
	static.CompileCache = filepath.Join(dir, "gcc_compile.cache")
	dynamic.CompileCache = static.CompileCache
	return static, dynamic
}

// A static cell's compile results go to the compile cache and its link
// results to its linkage's; the dynamic cell after it starts from the
// compile results only, and its own link results stay its linkage's.
func TestConfigCacheSharedBetweenLinkages(t *testing.T) {
	static, dynamic := linkageProjects(t)
	// The static file as it was before the split: its compile results
	// move to the compile cache.
	os.MkdirAll(filepath.Dir(static.ConfigCache), 0o755)
	os.WriteFile(static.ConfigCache, []byte("ac_cv_func_memmem=yes\nac_cv_sizeof_int=4\n"), 0o644)
	found := "ac_cv_env_CFLAGS_value=-O2\nac_cv_func_strdup=no\nac_cv_header_stdlib_h=yes\nac_cv_sizeof_long=8\n"
	if _, err := toolchain.BuildProject(t.Context(), fakeAutotools(static, found, nil), static, nil); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		static.ConfigCache:  "ac_cv_func_memmem=yes\nac_cv_func_strdup=no\n",
		static.CompileCache: "ac_cv_header_stdlib_h=yes\nac_cv_sizeof_int=4\nac_cv_sizeof_long=8\n",
	}
	for f, want := range files {
		if b, _ := os.ReadFile(f); string(b) != want {
			t.Errorf("after the static cell, %s = %q, want %q", filepath.Base(f), b, want)
		}
	}

	var seen string
	run := fakeAutotools(dynamic, "ac_cv_func_strdup=yes\n", nil)
	watch := func(ctx context.Context, c toolchain.Command, env []string) ([]byte, error) {
		if c.Args[0] == "./configure" {
			b, _ := os.ReadFile(filepath.Join(dynamic.WorkDir, "config.cache"))
			seen = string(b)
		}
		return run(ctx, c, env)
	}
	if _, err := toolchain.BuildProject(t.Context(), watch, dynamic, nil); err != nil {
		t.Fatal(err)
	}
	if want := files[static.CompileCache]; seen != want {
		t.Errorf("the dynamic configure started from %q, want the compile results %q", seen, want)
	}
	files[dynamic.ConfigCache] = "ac_cv_func_strdup=yes\n"
	for f, want := range files {
		if b, _ := os.ReadFile(f); string(b) != want {
			t.Errorf("after the dynamic cell, %s = %q, want %q", filepath.Base(f), b, want)
		}
	}
}

// Without a compile cache (zig) a cell reads and writes its linkage's
// file only, every result in it.
func TestConfigCacheWithoutCompileCache(t *testing.T) {
	static, _ := linkageProjects(t)
	static.CompileCache = ""
	if _, err := toolchain.BuildProject(t.Context(), fakeAutotools(static, "ac_cv_func_strdup=yes\nac_cv_sizeof_long=8\n", nil), static, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(static.ConfigCache); string(b) != "ac_cv_func_strdup=yes\nac_cv_sizeof_long=8\n" {
		t.Errorf("%s = %q", filepath.Base(static.ConfigCache), b)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(static.ConfigCache), "gcc_compile.cache")); err == nil {
		t.Error("a compile cache was written")
	}
}

// Cells of both linkages that finish at once lose none of each other's
// results: the merge runs under the configure folder's lock.
func TestConfigCacheConcurrentCells(t *testing.T) {
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, 2*n)
	base, _ := linkageProjects(t)
	for i := range 2 * n {
		p := fakeSharingProject(t)
		p.ConfigCache, p.CompileCache = base.ConfigCache, base.CompileCache
		if i%2 == 1 {
			p.Linkage = recipe.Dynamic
			p.ConfigCache = filepath.Join(filepath.Dir(base.ConfigCache), "gcc_dynamic.cache")
		}
		found := fmt.Sprintf("ac_cv_sizeof_t%d=%d\nac_cv_func_f%d=yes\n", i, i, i)
		run := fakeAutotools(p, found, nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = toolchain.BuildProject(t.Context(), run, p, nil)
		}()
	}
	wg.Wait()
	compile, _ := os.ReadFile(base.CompileCache)
	for i, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(compile), fmt.Sprintf("ac_cv_sizeof_t%d=%d\n", i, i)) {
			t.Errorf("cell %d's compile result was lost:\n%s", i, compile)
		}
	}
	for _, l := range []string{"static", "dynamic"} {
		data, _ := os.ReadFile(filepath.Join(filepath.Dir(base.ConfigCache), "gcc_"+l+".cache"))
		if got := strings.Count(string(data), "ac_cv_func_"); got != n {
			t.Errorf("the %s file holds %d link results, want %d:\n%s", l, got, n, data)
		}
	}
}

// A damaged compile cache (bytes that are no entry, a cut last line, a
// link result written by hand) gives the cell its well-formed compile
// results only, and is rewritten clean.
func TestConfigCacheDamagedCompileCache(t *testing.T) {
	static, _ := linkageProjects(t)
	os.MkdirAll(filepath.Dir(static.CompileCache), 0o755)
	os.WriteFile(static.CompileCache, []byte("\x00\x01\xff garbage\nac_cv_func_strdup=yes\nac_cv_sizeof_int=4\nac_cv_sizeof_lo"), 0o644)
	var seen string
	run := fakeAutotools(static, "ac_cv_sizeof_long=8\n", nil)
	watch := func(ctx context.Context, c toolchain.Command, env []string) ([]byte, error) {
		if c.Args[0] == "./configure" {
			b, _ := os.ReadFile(filepath.Join(static.WorkDir, "config.cache"))
			seen = string(b)
		}
		return run(ctx, c, env)
	}
	if _, err := toolchain.BuildProject(t.Context(), watch, static, nil); err != nil {
		t.Fatal(err)
	}
	if seen != "ac_cv_sizeof_int=4\n" {
		t.Errorf("configure started from %q", seen)
	}
	if b, _ := os.ReadFile(static.CompileCache); string(b) != "ac_cv_sizeof_int=4\nac_cv_sizeof_long=8\n" {
		t.Errorf("compile cache = %q", b)
	}
}

// The cells that share a compile cache compile with the same variables
// in both linkages: configure's compile tests see the same CC, CXX and
// flags (the linkage's -static is in LDFLAGS only), and the same compiler
// behind a wrapper.
func TestCompileCacheCellsCompileAlike(t *testing.T) {
	compileVars := []string{"CC", "CXX", "CFLAGS", "CXXFLAGS", "CPPFLAGS"}
	for _, c := range projectCells {
		d := loadReal(t, c.toolchain)
		tg, _ := d.Target(c.platform)
		env := map[recipe.Linkage]map[string]string{}
		wrappers := map[recipe.Linkage]map[string]string{}
		for _, l := range recipe.Linkages {
			c.linkage = l
			p, base := project(t, c, recipe.BuildAutotools)
			p.Recipe.CFlags, p.Recipe.LDFlags, p.Recipe.Defines = nil, nil, nil
			env[l], wrappers[l] = map[string]string{}, map[string]string{}
			for _, e := range p.Env(base) {
				k, v, _ := strings.Cut(e, "=")
				env[l][k] = v
			}
			for _, f := range p.Files() {
				wrappers[l][filepath.Base(f.Path)] = string(f.Data)
			}
		}
		alike := true
		for _, k := range compileVars {
			alike = alike && env[recipe.Static][k] == env[recipe.Dynamic][k]
		}
		for _, w := range []string{"cc", "c++"} {
			alike = alike && wrappers[recipe.Static][w] == wrappers[recipe.Dynamic][w]
		}
		if shares := toolchain.CompileCacheFile("/c", d, tg) != ""; shares != alike {
			t.Errorf("%s %s: shares a compile cache %t, but its linkages compile alike %t:\nstatic %v\ndynamic %v",
				c.toolchain, c.platform, shares, alike, env[recipe.Static], env[recipe.Dynamic])
		}
	}
}
