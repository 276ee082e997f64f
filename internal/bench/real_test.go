package bench

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/testutil"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// Commands of a phase count towards it; any other command is
// orchestration, what is left of the wall time.
func TestPhaseTimes(t *testing.T) {
	var pt phaseTimes
	pt.add(toolchain.PhaseConfigure, 2*time.Second)
	pt.add(toolchain.PhaseMake, 3*time.Second)
	pt.add(toolchain.PhaseConfigure, time.Second)
	pt.add("", 7*time.Second) // patch, apt, a compiler of files: orchestration
	if pt.configure.Load() != int64(3*time.Second) || pt.make.Load() != int64(3*time.Second) {
		t.Errorf("configure %v, make %v; want 3s and 3s", time.Duration(pt.configure.Load()), time.Duration(pt.make.Load()))
	}
	w := realWay{Configure: 3 * time.Second, Make: 3 * time.Second, Wall: 10 * time.Second}
	if w.Other() != 4*time.Second {
		t.Errorf("Other() = %v, want 4s", w.Other())
	}

	// The runner passes output and errors through and files each command
	// under its own phase only.
	boom := errors.New("boom")
	var run phaseTimes
	r := phaseRunner(func(_ context.Context, c toolchain.Command, _ []string) ([]byte, error) {
		return []byte(c.Args[0]), boom
	}, &run)
	out, err := r(t.Context(), toolchain.Command{Args: []string{"./configure"}, Phase: toolchain.PhaseConfigure}, nil)
	if string(out) != "./configure" || !errors.Is(err, boom) {
		t.Errorf("phaseRunner returned %q, %v", out, err)
	}
	if run.make.Load() != 0 {
		t.Error("a configure command was counted as make")
	}
}

// plainProject is a gcc cell of a recipe built the plain way, in /p.
func plainProject(t *testing.T, platform recipe.Platform, l recipe.Linkage, r *recipe.Recipe, deps string) toolchain.Project {
	t.Helper()
	d, err := toolchain.Load(filepath.Join(testutil.RepoRoot(t), "toolchains", "gcc.toml"))
	if err != nil {
		t.Fatal(err)
	}
	tg, ok := d.Target(platform)
	if !ok {
		t.Fatalf("gcc does not serve %s", platform)
	}
	resolved := map[string]string{}
	for _, tool := range []string{"gcc", "g++", "ar"} {
		resolved[tg.Prefix+tool] = "/usr/bin/" + tg.Prefix + tool
	}
	return toolchain.Project{Def: d, Target: tg, Linkage: l, Recipe: r, Resolved: resolved,
		SourceDir: "/p/src", WorkDir: "/p/work", StageDir: "/p/stage", DepStage: deps, Jobs: 2}
}

// TestPlainSteps pins the command lines of the plain way: what a person
// types, with the cell's compiler and flags and no shared config.cache:
// the build system's steps with the variables they read written in front.
func TestPlainSteps(t *testing.T) {
	const (
		cc     = "CC=/usr/bin/aarch64-linux-gnu-gcc"
		cxx    = "CXX=/usr/bin/aarch64-linux-gnu-g++"
		cflags = "CFLAGS=-O2 -ffile-prefix-map=/p/src=. -ffile-prefix-map=/p/work=. -ffile-prefix-map=/p/deps=."
		ld     = "LDFLAGS=-s -Wl,--build-id=sha1 -static -L/p/deps/usr/lib"
		ar     = "AR=/usr/bin/aarch64-linux-gnu-ar"
		ranlib = "RANLIB=aarch64-linux-gnu-ranlib" // found on PATH, as fromscratch does
		ldtool = "LD=aarch64-linux-gnu-ld"         // the target's linker for $(LD) -r, found on PATH
	)
	cxxflags := "CXXFLAGS=" + strings.TrimPrefix(cflags, "CFLAGS=")
	c, m := toolchain.PhaseConfigure, toolchain.PhaseMake
	for _, tt := range []struct {
		name    string
		recipe  recipe.Recipe
		libtool bool
		want    []toolchain.Command
	}{
		{"autotools, libtool, autoreconf", recipe.Recipe{Name: "jq", Build: recipe.BuildAutotools, Autoreconf: true,
			ConfigureArgs: []string{"--with-oniguruma=yes"}, MakeArgs: []string{"V=1"}}, true, []toolchain.Command{
			{Args: []string{"autoreconf", "-fi"}, Dir: "/p/src", Phase: c},
			{Args: []string{"env", cc, cxx, cflags, cxxflags, "CPPFLAGS=-I/p/deps/usr/include", ld, ar, ranlib, ldtool,
				"./configure", "--host=aarch64-linux-gnu", "--build=" + toolchain.BuildTriple(), "--prefix=/usr", "--libdir=/usr/lib",
				"--disable-shared", "--enable-static", "--with-oniguruma=yes"},
				Dir: "/p/src", Phase: c},
			{Args: []string{"make", "-j2", ld + " -all-static", "V=1"}, Dir: "/p/src", Phase: m},
			{Args: []string{"make", "install", "DESTDIR=/p/stage", ld + " -all-static", "V=1"}, Dir: "/p/src", Phase: m},
		}},
		{"hand-written configure", recipe.Recipe{Name: "zlib", Build: recipe.BuildAutotools, ConfigureStyle: recipe.ConfigurePlain,
			ConfigureArgs: []string{"--{libs}"}}, false, []toolchain.Command{
			{Args: []string{"env", cc, cxx, cflags, cxxflags, "CPPFLAGS=-I/p/deps/usr/include", ld, ar, ranlib, ldtool,
				"./configure", "--prefix=/usr", "--libdir=/usr/lib", "--static"}, Dir: "/p/src", Phase: c},
			{Args: []string{"make", "-j2"}, Dir: "/p/src", Phase: m},
			{Args: []string{"make", "install", "DESTDIR=/p/stage"}, Dir: "/p/src", Phase: m},
		}},
		{"cmake", recipe.Recipe{Name: "tini", Build: recipe.BuildCMake, CMakeArgs: []string{"-DX=ON"}}, false, []toolchain.Command{
			{Args: []string{"env", cflags, cxxflags, ld, "cmake", "-G", "Ninja", "-S", "/p/src", "-B", "/p/work/build",
				"-DCMAKE_TOOLCHAIN_FILE=/p/work/toolchain.cmake", "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_INSTALL_PREFIX=/usr",
				"-DCMAKE_INSTALL_LIBDIR=lib", "-DBUILD_SHARED_LIBS=OFF", "-DX=ON"}, Dir: "/p/work", Phase: c},
			{Args: []string{"cmake", "--build", "/p/work/build", "--parallel", "2"}, Dir: "/p/work", Phase: m},
			{Args: []string{"env", "DESTDIR=/p/stage", "cmake", "--install", "/p/work/build"}, Dir: "/p/work", Phase: m},
		}},
		{"make, built file", recipe.Recipe{Name: "lua", Build: recipe.BuildMake, Built: "src/lua", Defines: []string{"LUA_USE_LINUX"},
			MakeArgs: []string{"linux", "AR={ar} rc"}}, false, []toolchain.Command{
			{Args: []string{"make", "-j2", cc, cxx, ar, ranlib, ldtool,
				"CFLAGS=-I/p/deps/usr/include -DLUA_USE_LINUX " + strings.TrimPrefix(cflags, "CFLAGS="), ld,
				"linux", "AR=/usr/bin/aarch64-linux-gnu-ar rc"}, Dir: "/p/src", Phase: m},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := plainProject(t, recipe.ARM64, recipe.Static, &tt.recipe, "/p/deps")
			p.Libtool = tt.libtool
			got := plainSteps(p)
			if len(got) != len(tt.want) {
				t.Fatalf("%d steps, want %d:\n%q", len(got), len(tt.want), got)
			}
			for i := range got {
				if !slices.Equal(got[i].Args, tt.want[i].Args) || got[i].Dir != tt.want[i].Dir || got[i].Phase != tt.want[i].Phase {
					t.Errorf("step %d:\n got %s (in %s, %s)\nwant %s (in %s, %s)", i, got[i], got[i].Dir, got[i].Phase, tt.want[i], tt.want[i].Dir, tt.want[i].Phase)
				}
			}
		})
	}
}

// A dynamic cell builds shared libraries, links without -static and
// never -all-static.
func TestPlainStepsDynamic(t *testing.T) {
	r := &recipe.Recipe{Name: "gnuhello", Build: recipe.BuildAutotools}
	p := plainProject(t, recipe.AMD64, recipe.Dynamic, r, "")
	p.Libtool = true
	p.ConfigCache = "/c/configure/gcc.cache" // fromscratch's shared cache: never the plain way's
	all := strings.Join(slices.Concat(commandArgs(plainSteps(p))...), " ")
	for _, want := range []string{"--host=x86_64-linux-gnu", "--enable-shared", "--disable-static", "CC=/usr/bin/gcc"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %s in %s", want, all)
		}
	}
	for _, not := range []string{" -static", "-all-static", "--cache-file", "-L", "-I"} {
		if strings.Contains(all, not) {
			t.Errorf("%s in %s", not, all)
		}
	}
}

func commandArgs(cs []toolchain.Command) [][]string {
	var out [][]string
	for _, c := range cs {
		out = append(out, c.Args)
	}
	return out
}

// The plain way's shell: PATH, HOME, the C locale, pkg-config pointed at
// the dependencies only when there are any, the recipe's env; sorted.
func TestPlainEnv(t *testing.T) {
	r := &recipe.Recipe{Name: "jq", Build: recipe.BuildAutotools, Env: map[string]string{"JQ_X": "1"}}
	p := plainProject(t, recipe.AMD64, recipe.Static, r, "/p/deps")
	got := plainEnv(p, []string{"/usr/bin", "/bin"}, "/p/home")
	want := []string{"HOME=/p/home", "JQ_X=1", "LC_ALL=C", "PATH=/usr/bin:/bin", "PKG_CONFIG_LIBDIR=/p/deps/usr/lib/pkgconfig",
		"PKG_CONFIG_PATH=", "PKG_CONFIG_SYSROOT_DIR=/p/deps"}
	if !slices.Equal(got, want) {
		t.Errorf("plainEnv = %q, want %q", got, want)
	}
	p.DepStage = ""
	if got := strings.Join(plainEnv(p, nil, "/h"), " "); strings.Contains(got, "PKG_CONFIG_LIBDIR") {
		t.Errorf("pkg-config pointed at a stage without dependencies: %s", got)
	}
}

func TestRealPrograms(t *testing.T) {
	got, err := realPrograms(testutil.RepoRoot(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"gnuhello", "jq", "lua", "tini"} {
		if !slices.Contains(got, want) {
			t.Errorf("realPrograms = %v, want %s among them", got, want)
		}
	}
	for _, not := range []string{"hello", "onig", "zlib"} { // a files recipe, two libraries
		if slices.Contains(got, not) {
			t.Errorf("realPrograms = %v, want no %s", got, not)
		}
	}
	if got, err := realPrograms(testutil.RepoRoot(t), []string{"hello", "jq", "onig"}); err != nil || strings.Join(got, ",") != "jq" {
		t.Errorf("realPrograms(hello, jq, onig) = %v, %v; want jq", got, err)
	}
	if _, err := realPrograms(testutil.RepoRoot(t), []string{"hello", "zlib"}); err == nil {
		t.Error("realPrograms(hello, zlib) found something to measure")
	}
}

// The table has a line per program and way, a total, the ratios, and
// fits 80 columns even with long times.
func TestPrintRealFits(t *testing.T) {
	w := realWay{Configure: 1234 * time.Second, Make: 567 * time.Second, Wall: 2000 * time.Second}
	var b bytes.Buffer
	printReal(&b, []realRow{{Program: "gnuhello", Cells: 4, Cold: w, Warm: w, Plain: w}, {Program: "tini", Cells: 4, Cold: w, Warm: w, Plain: w}})
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 1+3*3+1 {
		t.Errorf("%d lines, want a header, 3 per program and total, and the ratios:\n%s", len(lines), b.String())
	}
	if strings.Contains(b.String(), "cold-host") || strings.Contains(b.String(), "sandbox:") {
		t.Errorf("a host row without a host run:\n%s", b.String())
	}
	for _, l := range lines[:len(lines)-1] {
		if len(l) > 80 {
			t.Errorf("%d columns: %q", len(l), l)
		}
	}
	for _, want := range []string{"CONFIGURE", "gnuhello", "total", "1234.0s", "ratios: fromscratch cold / plain = 1.00"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
}

// With the build root on, each program has a cold-host line and the
// ratios end with the sandbox's: cold in the root over cold on the host.
func TestPrintRealHostRow(t *testing.T) {
	host := realWay{Configure: 10 * time.Second, Make: 20 * time.Second, Wall: 40 * time.Second}
	root := realWay{Configure: 11 * time.Second, Make: 21 * time.Second, Wall: 42 * time.Second}
	var b bytes.Buffer
	printReal(&b, []realRow{{Program: "tini", Cells: 2, Cold: root, Warm: root, Plain: host, Host: host}})
	out := b.String()
	if n := strings.Count(out, "cold-host"); n != 3 {
		t.Errorf("%d cold-host lines and mentions, want the program's, the total's and the ratio's:\n%s", n, out)
	}
	if !strings.Contains(out, "= 1.050; configure 1.100, make 1.050") {
		t.Errorf("no sandbox ratio 42/40, 11/10, 21/20 in\n%s", out)
	}
}

// bench:real on one tiny make project with a library dependency, on
// linux/amd64 with gcc: every way builds its cells and the table has its
// rows. Nothing about time is asserted.
func TestBenchRealTinyProject(t *testing.T) {
	for _, tool := range []string{"gcc", "make", "ar"} {
		if _, err := exec.LookPath(tool); err != nil {
			testutil.Missing(t, "no %s", tool)
		}
	}
	root := t.TempDir()
	files := map[string]string{
		"recipes/tinylib/recipe.toml": "language = \"c\"\nbuild = \"make\"\nkind = \"library\"\n",
		"recipes/tinylib/tiny.c":      "int tiny(void) { return 42; }\n",
		"recipes/tinylib/tiny.h":      "int tiny(void);\n",
		"recipes/tinylib/Makefile": "libtiny.a: tiny.o\n\t$(AR) rc $@ tiny.o\n" +
			"install: libtiny.a\n\tmkdir -p $(DESTDIR)/usr/lib $(DESTDIR)/usr/include\n\tcp libtiny.a $(DESTDIR)/usr/lib/\n\tcp tiny.h $(DESTDIR)/usr/include/\n",
		"recipes/tiny/recipe.toml": "language = \"c\"\nbuild = \"make\"\ndepends = [\"tinylib\"]\nbinary = \"usr/bin/tiny\"\nbuilt = \"tiny\"\n" +
			"[smoke]\nstdout = \"42\\n\"\n",
		"recipes/tiny/main.c":   "#include <stdio.h>\n#include <tiny.h>\nint main(void) { printf(\"%d\\n\", tiny()); return 0; }\n",
		"recipes/tiny/Makefile": "tiny: main.c\n\t$(CC) $(CFLAGS) -o $@ main.c $(LDFLAGS) -ltiny\n",
	}
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.CopyFS(filepath.Join(root, "toolchains"), os.DirFS(filepath.Join(testutil.RepoRoot(t), "toolchains"))); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s := Suite{Options: pipeline.Options{Root: root, CacheDir: t.TempDir(), Platforms: []recipe.Platform{recipe.AMD64},
		Toolchains: []string{"gcc"}, HostPath: filepath.SplitList(os.Getenv("PATH")), BuildDate: time.Unix(1704067200, 0).UTC()},
		Run: toolchain.Exec, Out: &out}
	if err := s.Real(t.Context()); err != nil {
		t.Fatalf("bench:real: %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{"bench:real: tiny done (2 cells)", "PROGRAM", "tiny      2   cold", "warm", "plain", "total", "ratios:"} {
		if !strings.Contains(strings.Join(strings.Fields(got), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("no %q in\n%s", want, got)
		}
	}
}
