package toolchain

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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

// runStep runs configure from a copy of the shared config.cache
// (startConfigCache); a failing configure's error ends with the tail of
// config.log, which the pipeline keeps next to build.log. What configure
// found is shared only when the whole cell has built (finish).
func (autotools) runStep(ctx context.Context, run Runner, p Project, c Command, env []string) ([]byte, error) {
	if c.Args[0] != "./configure" {
		return runStep(ctx, run, c, env)
	}
	if sharesConfigCache(p) {
		if err := startConfigCache(p); err != nil {
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

// finish shares what configure found (shareConfigCache), once every
// step has succeeded and the binary is installed: a configure whose link
// tests failed for a reason of its own (its flags, a broken dependency)
// leaves a cell that does not build, and its "no"s are never shared.
func (autotools) finish(p Project) error {
	if !sharesConfigCache(p) {
		return nil
	}
	return shareConfigCache(p)
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
