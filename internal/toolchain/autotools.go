package toolchain

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/recipe"
)

// autotools is build = "autotools", in the source tree: [autoreconf -fi];
// configure --host --build --prefix=/usr --libdir=/usr/lib, static or
// shared libraries by linkage, the config.cache in WorkDir when
// ConfigCache is set, the recipe's configure_args; make -jN; make install
// DESTDIR=<stage>. A static cell of a libtool project passes LDFLAGS with
// -all-static to make, because libtool drops a bare -static when it links
// programs (as static-curl does). configure takes the tools and flags
// from the environment.
type autotools struct{}

// configureVars are the variables of the cell's environment that
// configure takes the tools and flags from.
var configureVars = []string{"CC", "CXX", "CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS", "AR", "RANLIB", "LD"}

func (autotools) steps(p Project) []Command {
	static := p.Linkage == recipe.Static
	conf := []string{"./configure", "--host=" + p.Host(), "--build=" + BuildTriple(), "--prefix=/usr", "--libdir=/usr/lib"}
	if p.Recipe.PlainConfigure() {
		// A hand-written configure (zlib's) takes the cell from CC,
		// AR, RANLIB and the flags in the environment.
		conf = []string{"./configure", "--prefix=/usr", "--libdir=/usr/lib"}
	} else if static {
		conf = append(conf, "--disable-shared", "--enable-static")
	} else {
		conf = append(conf, "--enable-shared", "--disable-static")
	}
	if sharesConfigCache(p) {
		conf = append(conf, "--cache-file="+localConfigCache(p))
	}
	conf = append(conf, p.ExpandArgs(p.Recipe.Args(p.Linkage).ConfigureArgs)...)
	var vars []string
	if static && p.Libtool {
		vars = append(vars, "LDFLAGS="+strings.Join(append(p.LDFlags(), "-all-static"), " "))
	}
	vars = append(vars, p.ExpandArgs(p.Recipe.Args(p.Linkage).MakeArgs)...)
	var steps []Command
	if p.Recipe.Autoreconf {
		steps = append(steps, Command{Args: []string{"autoreconf", "-fi"}, Dir: p.SourceDir, Phase: PhaseConfigure})
	}
	return append(steps, []Command{
		{Args: conf, Dir: p.SourceDir, Phase: PhaseConfigure, Vars: configureVars},
		{Args: append([]string{"make", "-j" + strconv.Itoa(p.jobs())}, vars...), Dir: p.SourceDir, Phase: PhaseMake},
		{Args: append([]string{"make", "install", "DESTDIR=" + p.StageDir}, vars...), Dir: p.SourceDir, Phase: PhaseMake},
	}...)
}

func (autotools) files(Project) []File { return nil }

func (autotools) vars(Project) map[string]string { return nil }

// runStep runs configure from the shared config.cache (FilterConfigCache
// of it); a failing configure's error ends with the tail of config.log,
// which the pipeline keeps next to build.log. What configure found is
// shared only when the whole cell has built (finish).
func (autotools) runStep(ctx context.Context, run Runner, p Project, c Command, env []string) ([]byte, error) {
	if c.Args[0] != "./configure" {
		return runStep(ctx, run, c, env)
	}
	if sharesConfigCache(p) {
		data, err := os.ReadFile(p.ConfigCache)
		if err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("reading the configure cache: %w", err)
		}
		if err := atomicfile.Write(localConfigCache(p), FilterConfigCache(data), 0o644); err != nil {
			return nil, err
		}
	}
	out, err := run(ctx, c, env)
	if err != nil {
		msg := stepError(c, err, out).Error()
		if cl, rerr := os.ReadFile(filepath.Join(p.SourceDir, "config.log")); rerr == nil {
			msg += "\nthe end of config.log (kept next to build.log):\n" + tail(cl, 30)
		}
		return out, errors.New(msg)
	}
	return out, nil
}

// finish merges what configure found into the shared cache, once every
// step has succeeded and the binary is installed: a configure whose link
// tests failed for a reason of its own (its flags, a broken dependency)
// leaves a cell that does not build, and its "no"s are never shared. The
// cell's entries replace the shared ones of the same name; the others are
// kept (another project's checks).
func (autotools) finish(p Project) error {
	if !sharesConfigCache(p) {
		return nil
	}
	local, err := os.ReadFile(localConfigCache(p))
	if err != nil {
		return nil // configure wrote no cache: nothing to share
	}
	shared, err := os.ReadFile(p.ConfigCache)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("reading the configure cache: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(p.ConfigCache), 0o755); err != nil {
		return fmt.Errorf("writing the configure cache: %w", err)
	}
	return atomicfile.Write(p.ConfigCache, mergeConfigCache(FilterConfigCache(shared), FilterConfigCache(local)), 0o644)
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
	if len(entries) == 0 {
		return nil
	}
	lines := make([]string, 0, len(entries))
	for _, l := range entries {
		lines = append(lines, l)
	}
	sort.Strings(lines)
	return []byte(strings.Join(lines, "\n") + "\n")
}

// sharesConfigCache says whether configure starts from the shared cache
// and gives it what it found: a ConfigCache is set, configure is
// autoconf's (a hand-written one takes no --cache-file), and the recipe
// keeps the cell's compile and link flags as they are. A recipe's own
// cflags, ldflags or defines, LIBS or a *FLAGS variable in its env, or a
// variable in its configure_args (LIBS=, LDFLAGS=) change what compiles
// and links (-std=c11 hides strdup, -Wl,--fatal-warnings fails glibc's
// static links), so its answers hold for it alone: its configure runs
// without the shared cache.
func sharesConfigCache(p Project) bool {
	r, args := p.Recipe, p.Recipe.Args(p.Linkage)
	if p.ConfigCache == "" || r.PlainConfigure() {
		return false
	}
	if len(args.CFlags) > 0 || len(args.LDFlags) > 0 || len(r.Defines) > 0 {
		return false
	}
	for k := range r.Env {
		if k == "LIBS" || strings.HasSuffix(k, "FLAGS") {
			return false
		}
	}
	for _, a := range args.ConfigureArgs {
		if name, _, ok := strings.Cut(a, "="); ok && !strings.HasPrefix(name, "-") {
			return false
		}
	}
	return true
}

// localConfigCache is the cell's copy of the shared cache, in WorkDir.
func localConfigCache(p Project) string { return filepath.Join(p.WorkDir, "config.cache") }

// ConfigCacheFile is where the shared autoconf cache of a toolchain,
// platform and linkage is kept under the cache directory.
func ConfigCacheFile(cache string, d *Definition, p recipe.Platform, l recipe.Linkage) string {
	return filepath.Join(cache, "configure", d.Name+"_"+p.Dir()+"_"+string(l)+".cache")
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

// UsesLibtool reports whether the source tree links with libtool: an
// ltmain.sh at its top or one folder down (build-aux/, config/), or a
// configure.ac that asks for libtool (a tree autoreconf will complete).
func UsesLibtool(srcDir string) bool {
	if _, err := os.Stat(filepath.Join(srcDir, "ltmain.sh")); err == nil {
		return true
	}
	if m, _ := filepath.Glob(filepath.Join(srcDir, "*", "ltmain.sh")); len(m) > 0 {
		return true
	}
	for _, f := range []string{"configure.ac", "configure.in"} {
		if data, err := os.ReadFile(filepath.Join(srcDir, f)); err == nil {
			return bytes.Contains(data, []byte("LT_INIT")) || bytes.Contains(data, []byte("AC_PROG_LIBTOOL"))
		}
	}
	return false
}
