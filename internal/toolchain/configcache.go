package toolchain

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/recipe"
)

// autoconf's config.cache is shared between the cells of one toolchain
// and platform in two files under <cache>/configure/: what a compile
// decides (headers, types, sizes, what the compiler does), which holds
// for both linkages of a toolchain whose static and dynamic cells compile
// with the same command (CompileCacheFile), and the rest, link and run
// tests above all, which is kept per linkage (ConfigCacheFile). Each
// configure starts from a copy of both (startConfigCache); what it found
// goes back into them when its whole cell has built (shareConfigCache).

// localConfigCache is the cell's copy of the shared cache, in WorkDir.
func localConfigCache(p Project) string { return filepath.Join(p.WorkDir, "config.cache") }

// ConfigCacheFile is where the shared autoconf cache of a toolchain,
// platform and linkage is kept under the cache directory: every result
// when the toolchain's linkages compile differently (CompileCacheFile is
// ""), else the results a link can change (SplitConfigCache).
func ConfigCacheFile(cache string, d *Definition, p recipe.Platform, l recipe.Linkage) string {
	return filepath.Join(cache, "configure", d.Name+"_"+p.Dir()+"_"+string(l)+".cache")
}

// CompileCacheFile is where the configure results that no link decides
// (SplitConfigCache) are kept for both linkages of a toolchain's target,
// under the cache directory; "" when its static and dynamic cells compile
// differently (zig: musl's headers for one, glibc's for the other), so
// that each linkage keeps all of its results.
func CompileCacheFile(cache string, d *Definition, t Target) string {
	if !compilesAlike(d, t) {
		return ""
	}
	return filepath.Join(cache, "configure", d.Name+"_"+t.Platform.Dir()+"_compile.cache")
}

// compilesAlike says whether the static and dynamic cells of t compile
// alike: the same C library (configure's --host) and the same C and C++
// compiler commands. The rest of what a configure compiles with is the
// same in both (Project.CFlags and CPPFlags: the linkage's flags go to
// LDFLAGS only), or the recipe's own, which shares nothing
// (sharesConfigCache).
func compilesAlike(d *Definition, t Target) bool {
	if d.Linkage(recipe.Static).Libc != d.Linkage(recipe.Dynamic).Libc {
		return false
	}
	for _, tmpl := range [][]string{d.CC, d.CXX} {
		if !slices.Equal(Expand(tmpl, t, recipe.Static), Expand(tmpl, t, recipe.Dynamic)) {
			return false
		}
	}
	return true
}

// compileFamilies are the cache variables of autoconf's generic checks
// whose test program is only preprocessed or compiled, never linked
// (autoconf 2.71's m4 files, and the 2.69 scripts that real tarballs
// ship): AC_CHECK_HEADER(S) (headers.m4, AC_COMPILE_IFELSE or
// AC_PREPROC_IFELSE), AC_CHECK_TYPE(S) and AC_CHECK_MEMBER(S) (types.m4,
// AC_COMPILE_IFELSE), AC_CHECK_DECL(S) (general.m4, AC_COMPILE_IFELSE),
// AC_CHECK_SIZEOF and AC_CHECK_ALIGNOF (AC_COMPUTE_INT: "the compile-time
// value" of the expression, found by compiles when cross-compiling and
// printed by a program otherwise; a program that does not run is a fatal
// "cannot compute", never a value) and AC_TYPE_INTn_T/UINTn_T (types.m4,
// ac_cv_c_intN_t, AC_COMPILE_IFELSE).
var compileFamilies = regexp.MustCompile(`^ac_cv_(header|type|member|have_decl|sizeof|alignof)_|^ac_cv_c_u?int[0-9]+_t$`)

// linkedInFamilies are autoconf's own checks whose names fall in
// compileFamilies but whose test links or runs a program: they stay per
// linkage.
var linkedInFamilies = map[string]bool{
	"ac_cv_header_stdc":                 true, // AC_HEADER_STDC (2.69): runs a <ctype.h> program
	"ac_cv_header_sys_types_h_makedev":  true, // AC_HEADER_MAJOR (2.69): AC_LINK_IFELSE
	"ac_cv_type_getgroups":              true, // AC_TYPE_GETGROUPS: AC_RUN_IFELSE
	"ac_cv_type_long_long_int":          true, // AC_TYPE_LONG_LONG_INT: AC_RUN_IFELSE (2.71), AC_LINK_IFELSE (2.69)
	"ac_cv_type_unsigned_long_long_int": true, // AC_TYPE_UNSIGNED_LONG_LONG_INT: AC_LINK_IFELSE
}

// compileNames are autoconf's own results that no link decides: the
// system types (config.sub: no compiler at all), make's $(MAKE) check,
// and the compiler checks of c.m4, lang.m4 and specific.m4 whose bodies
// are AC_COMPILE_IFELSE or AC_PREPROC_IFELSE (or a plain "cc -c -o").
// Left out although they look alike: ac_cv_exeext (found by a link),
// ac_cv_c_bigendian (runs a program when the headers do not say, and
// takes a program that fails to link for "big endian"),
// ac_cv_c_stack_direction and ac_cv_sys_restartable_syscalls (run),
// ac_cv_sys_largefile_source and ac_cv_sys_posix_termios (link),
// ac_cv_prog_c_openmp (links), the lex checks (link in 2.69).
var compileNames = map[string]bool{
	"ac_cv_build": true, "ac_cv_host": true, "ac_cv_target": true,
	"ac_cv_objext": true, "ac_cv_c_compiler_gnu": true, "ac_cv_cxx_compiler_gnu": true,
	"ac_cv_prog_cc_g": true, "ac_cv_prog_cc_stdc": true, "ac_cv_prog_cc_c89": true, "ac_cv_prog_cc_c99": true, "ac_cv_prog_cc_c11": true,
	"ac_cv_prog_cxx_g": true, "ac_cv_prog_cxx_stdcxx": true, "ac_cv_prog_cxx_cxx98": true, "ac_cv_prog_cxx_cxx11": true,
	"ac_cv_prog_cxx_c_o": true, "ac_cv_prog_gcc_traditional": true,
	"ac_cv_c_backslash_a": true, "ac_cv_c_char_unsigned": true, "ac_cv_c__Generic": true, "ac_cv_c_inline": true,
	"ac_cv_c_const": true, "ac_cv_c_restrict": true, "ac_cv_c_volatile": true, "ac_cv_c_stringize": true,
	"ac_cv_c_flexmember": true, "ac_cv_c_vararrays": true, "ac_cv_c_typeof": true,
	"ac_cv_c_undeclared_builtin_options": true, "ac_cv_cxx_undeclared_builtin_options": true,
	"ac_cv_struct_tm":        true,
	"ac_cv_sys_largefile_CC": true, "ac_cv_sys_file_offset_bits": true, "ac_cv_sys_large_files": true,
	"ac_cv_sys_tiocgwinsz_in_termios_h": true, "ac_cv_sys_tiocgwinsz_in_sys_ioctl_h": true,
	"ac_cv_safe_to_define___extensions__": true, "ac_cv_should_define__xopen_source": true,
}

// compilePatterns are compileNames whose middle is a program's name:
// AC_PROG_CC_C_O's ac_cv_prog_cc_<cc>_c_o and AC_PROG_MAKE_SET's
// ac_cv_prog_make_<make>_set.
var compilePatterns = regexp.MustCompile(`^ac_cv_prog_cc_[A-Za-z0-9_]+_c_o$|^ac_cv_prog_make_[A-Za-z0-9_]+_set$`)

// linkageFree says whether the configure result name holds for both
// linkages of a cell that compiles alike: its test only preprocesses or
// compiles. Anything else (ac_cv_func_*, ac_cv_lib_*, ac_cv_search_*, a
// project's own checks) may link, and a -static link finds other
// libraries than a dynamic one.
func linkageFree(name string) bool {
	if compileNames[name] || compilePatterns.MatchString(name) {
		return true
	}
	return compileFamilies.MatchString(name) && !linkedInFamilies[name]
}

// SplitConfigCache splits the entries of an autoconf cache into those
// that hold for both linkages (linkageFree) and the others, each sorted;
// lines that are no entry are dropped.
func SplitConfigCache(data []byte) (compile, link []byte) {
	var c, l []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		name, _, ok := strings.Cut(line, "=")
		switch {
		case !ok || name == "":
		case linkageFree(name):
			c = append(c, line)
		default:
			l = append(l, line)
		}
	}
	return sortedLines(c), sortedLines(l)
}

func sortedLines(lines []string) []byte {
	if len(lines) == 0 {
		return nil
	}
	sort.Strings(lines)
	return []byte(strings.Join(lines, "\n") + "\n")
}

// startConfigCache writes the cell's copy of the shared cache: the
// linkage's results and, when the linkages compile alike, the compile
// results of both, each FilterConfigCache of its file.
func startConfigCache(p Project) error {
	linked, err := readConfigCache(p.ConfigCache)
	if err != nil {
		return err
	}
	data := FilterConfigCache(linked)
	if p.CompileCache != "" {
		compiled, err := readConfigCache(p.CompileCache)
		if err != nil {
			return err
		}
		c, _ := SplitConfigCache(FilterConfigCache(compiled))
		data = mergeConfigCache(data, c)
	}
	return atomicfile.Write(localConfigCache(p), data, 0o644)
}

// shareConfigCache merges what the cell's configure found into the
// shared files, under the configure folder's lock (cells of both
// linkages finish at once): the compile results into CompileCache and the
// rest into ConfigCache when the linkages compile alike, else all into
// ConfigCache. The cell's entries replace the shared ones of the same
// name; the others are kept (another project's checks).
func shareConfigCache(p Project) error {
	local, err := os.ReadFile(localConfigCache(p))
	if err != nil {
		return nil // configure wrote no cache: nothing to share
	}
	unlock, err := lockConfigCache(filepath.Dir(p.ConfigCache))
	if err != nil {
		return err
	}
	defer unlock()
	if p.CompileCache == "" {
		return mergeIntoConfigCache(p.ConfigCache, FilterConfigCache(local), nil)
	}
	compile, link := SplitConfigCache(FilterConfigCache(local))
	if err := mergeIntoConfigCache(p.CompileCache, compile, func(shared []byte) []byte {
		c, _ := SplitConfigCache(shared)
		return c
	}); err != nil {
		return err
	}
	// The linkage's file keeps only what a link decides: the compile
	// results it held before they were shared are CompileCache's now.
	return mergeIntoConfigCache(p.ConfigCache, link, func(shared []byte) []byte {
		_, l := SplitConfigCache(shared)
		return l
	})
}

// mergeIntoConfigCache replaces the shared cache file with its entries
// (FilterConfigCache, then keep of them if keep is set) and the entries of
// found over them.
func mergeIntoConfigCache(file string, found []byte, keep func([]byte) []byte) error {
	shared, err := readConfigCache(file)
	if err != nil {
		return err
	}
	shared = FilterConfigCache(shared)
	if keep != nil {
		shared = keep(shared)
	}
	return atomicfile.Write(file, mergeConfigCache(shared, found), 0o644)
}

// readConfigCache reads a shared cache file; one that does not exist (yet)
// is empty.
func readConfigCache(file string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("reading the configure cache: %w", err)
	}
	return data, nil
}

// lockConfigCache locks the shared configure folder dir (flock(2) on
// dir/lock), waiting for it, and returns the function that releases it.
// A file system without locks leaves it unlocked: the files are replaced
// atomically, so a lost race loses only a merge.
func lockConfigCache(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("writing the configure cache: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("locking the configure cache: %w", err)
	}
	for {
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	return func() { f.Close() }, nil
}

// mergeConfigCache is base with the entries of over added, an entry of
// over replacing base's of the same name; sorted.
func mergeConfigCache(base, over []byte) []byte {
	entries := map[string]string{}
	for _, data := range [][]byte{base, over} {
		for _, line := range strings.Split(string(data), "\n") {
			if name, _, ok := strings.Cut(line, "="); ok {
				entries[name] = line
			}
		}
	}
	lines := make([]string, 0, len(entries))
	for _, l := range entries {
		lines = append(lines, l)
	}
	return sortedLines(lines)
}

// FilterConfigCache keeps the entries of an autoconf cache that hold for
// every project of one toolchain, platform and linkage: it drops the
// precious variables (ac_cv_env_*: they hold the cell's paths and flags,
// and configure refuses a cache whose CFLAGS differ from its own) and every
// negative header, library or search result (ac_cv_header_*, ac_cv_lib_*,
// ac_cv_search_*), which a dependency stage can turn positive. The result
// is sorted.
func FilterConfigCache(data []byte) []byte {
	var keep []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		// Entries are "name=${name=value}" or "name=value" (autoconf 2.5x+).
		name, value, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(name, "ac_cv_") || strings.HasPrefix(name, "ac_cv_env_") {
			continue
		}
		if strings.HasPrefix(value, "${"+name+"=") {
			value = strings.TrimSuffix(strings.TrimPrefix(value, "${"+name+"="), "}")
		}
		value = strings.Trim(value, `'"`)
		if value == "no" && (strings.HasPrefix(name, "ac_cv_header_") || strings.HasPrefix(name, "ac_cv_lib_") || strings.HasPrefix(name, "ac_cv_search_")) {
			continue
		}
		// Programs found and any path: a cell's tools (zig's wrapper
		// scripts) live in its own temporary work folder, gone when the
		// next cell reads the cache ("C compiler cannot create
		// executables" with a cached $CC of another cell).
		if foundProgram(name) || strings.Contains(value, "/") {
			continue
		}
		keep = append(keep, line)
	}
	sort.Strings(keep)
	if len(keep) == 0 {
		return nil
	}
	return []byte(strings.Join(keep, "\n") + "\n")
}

// foundProgram says whether a config.cache entry records where a program
// was found (ac_cv_prog_CC, ac_cv_prog_ac_ct_AR, ac_cv_path_SED) rather
// than what a compiler does (ac_cv_prog_cc_c11, ac_cv_prog_cc_g).
func foundProgram(name string) bool {
	if strings.HasPrefix(name, "ac_cv_path_") || strings.HasPrefix(name, "ac_cv_prog_ac_ct_") {
		return true
	}
	rest, ok := strings.CutPrefix(name, "ac_cv_prog_")
	return ok && rest != "" && rest[0] >= 'A' && rest[0] <= 'Z'
}
