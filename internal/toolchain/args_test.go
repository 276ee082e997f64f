package toolchain_test

import (
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

func TestExpand(t *testing.T) {
	gcc, zig := loadReal(t, "gcc"), loadReal(t, "zig")
	gccAMD64, _ := gcc.Target(recipe.AMD64)
	gccARM64, _ := gcc.Target(recipe.ARM64)
	zigARMv7, _ := zig.Target(recipe.ARMv7)
	tests := []struct {
		name string
		tmpl []string
		t    toolchain.Target
		l    recipe.Linkage
		want []string
	}{
		{"empty prefix", gcc.CC, gccAMD64, recipe.Static, []string{"gcc"}},
		{"prefix", gcc.Version, gccARM64, recipe.Dynamic, []string{"aarch64-linux-gnu-gcc", "-dumpfullversion"}},
		{"static triple", zig.CC, zigARMv7, recipe.Static, []string{"zig", "cc", "-target", "arm-linux-musleabihf"}},
		{"dynamic triple", zig.CXX, zigARMv7, recipe.Dynamic, []string{"zig", "c++", "-target", "arm-linux-gnueabihf.2.34"}},
		{"both in one argument", []string{"{prefix}x-{triple}"}, toolchain.Target{Prefix: "p-", StaticTriple: "t"}, recipe.Static, []string{"p-x-t"}},
		{"nothing to fill", []string{"ar", "rcs"}, gccARM64, recipe.Static, []string{"ar", "rcs"}},
		{"empty", nil, gccARM64, recipe.Static, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := slices.Clone(tt.tmpl)
			got := toolchain.Expand(tt.tmpl, tt.t, tt.l)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Expand(%q) = %q, want %q", tt.tmpl, got, tt.want)
			}
			if !slices.Equal(tt.tmpl, before) {
				t.Errorf("Expand modified its template: %q", tt.tmpl)
			}
		})
	}
}

func TestApplicable(t *testing.T) {
	gcc, musl, zig := loadReal(t, "gcc"), loadReal(t, "musl-gcc"), loadReal(t, "zig")
	hello, err := recipe.Load("../../recipes/hello")
	if err != nil {
		t.Fatal(err)
	}
	cpp, err := recipe.Load("../../recipes/cppcontainers")
	if err != nil {
		t.Fatal(err)
	}
	excluded := &recipe.Recipe{Name: "x", Language: recipe.C, Exclude: []recipe.Exclude{
		{Platform: "linux/arm64", Toolchain: "zig", Linkage: "dynamic", Reason: "no arm64 glibc runtime"},
	}}
	staticOnly := *gcc
	staticOnly.Dynamic.NotApplicable = "static only"

	tests := []struct {
		name       string
		def        *toolchain.Definition
		r          *recipe.Recipe
		p          recipe.Platform
		l          recipe.Linkage
		wantReason string
		want       bool
	}{
		{"gcc hello amd64 static", gcc, hello, recipe.AMD64, recipe.Static, "", true},
		{"gcc c++ arm/v7 dynamic", gcc, cpp, recipe.ARMv7, recipe.Dynamic, "", true},
		{"zig c++ riscv64 static", zig, cpp, recipe.RISCV64, recipe.Static, "", true},
		{"musl-gcc hello amd64 dynamic", musl, hello, recipe.AMD64, recipe.Dynamic, "", true},
		{"musl-gcc c++", musl, cpp, recipe.AMD64, recipe.Static, musl.NoCXXReason, false},
		{"musl-gcc arm64", musl, hello, recipe.ARM64, recipe.Static,
			"musl-gcc does not target linux/arm64 (it serves linux/amd64)", false},
		{"exclusion surfaces", zig, excluded, recipe.ARM64, recipe.Dynamic,
			"excluded by recipe: no arm64 glibc runtime", false},
		{"exclusion elsewhere", zig, excluded, recipe.ARM64, recipe.Static, "", true},
		{"exclusion of another toolchain", gcc, excluded, recipe.ARM64, recipe.Dynamic, "", true},
		{"target not applicable: linkage", zig, hello, recipe.RISCV64, recipe.Dynamic,
			"zig 0.11's clang 16 cannot assemble glibc's riscv64 start.S (.cfi_label, LLVM 19+)", false},
		{"target not applicable: c++", zig, cpp, recipe.ARMv7, recipe.Static,
			"zig 0.11 crashes (SIGSEGV) while building libc++ for 32-bit arm", false},
		{"target not applicable: c still served", zig, hello, recipe.ARMv7, recipe.Static, "", true},
		{"linkage not applicable", &staticOnly, hello, recipe.AMD64, recipe.Dynamic, "static only", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, ok := toolchain.Applicable(tt.def, tt.r, tt.p, tt.l)
			if ok != tt.want || reason != tt.wantReason {
				t.Errorf("Applicable = %q, %v; want %q, %v", reason, ok, tt.wantReason, tt.want)
			}
		})
	}
	if musl.NoCXXReason == "" {
		t.Error("musl-gcc has no no_cxx_reason")
	}
}

// stepsRecipe is a C recipe with everything Steps turns into arguments: a
// static library, include dirs, defines, flags and -l libraries.
func stepsRecipe() *recipe.Recipe {
	return &recipe.Recipe{
		Name:        "calc",
		Dir:         "/src/recipes/calc",
		Language:    recipe.C,
		Sources:     []string{"main.c", "./report.c"},
		IncludeDirs: []string{"lib/"},
		Defines:     []string{`VERSION="1.0"`},
		CFlags:      []string{"-O2"},
		LDFlags:     []string{"-Wl,--gc-sections"},
		Libraries:   []string{"m", "pthread"},
		StaticLibraries: []recipe.StaticLibrary{
			{Name: "geometry", Sources: []string{"lib/area.c", "lib/perimeter.c"}},
		},
	}
}

func TestPlanSteps(t *testing.T) {
	const (
		dir  = "/src/recipes/calc"
		work = "/out/obj/calc"
		out  = "/out/bin/calc"
	)
	// steps is the expected build: two library objects (each writing its
	// -MD file), the archive, a dependency scan of each program source,
	// the program.
	steps := func(cc, ar, flags []string) []toolchain.Command {
		cmd := func(parts ...[]string) toolchain.Command {
			return toolchain.Command{Args: slices.Concat(parts...), Dir: dir}
		}
		compile := func(src, obj string) toolchain.Command {
			return cmd(cc, flags, []string{"-MD", "-MF", work + "/" + obj + ".d", "-c", src, "-o", work + "/" + obj + ".o"})
		}
		scan := func(src, dep string) toolchain.Command {
			return cmd(cc, flags, []string{src, "-M", "-MF", work + "/" + dep + ".d", "-o", "/dev/null"})
		}
		return []toolchain.Command{
			compile("lib/area.c", "geometry/0-area"),
			compile("lib/perimeter.c", "geometry/1-perimeter"),
			cmd(ar, []string{"rcsD", work + "/libgeometry.a", work + "/geometry/0-area.o", work + "/geometry/1-perimeter.o"}),
			scan("main.c", "_program/0-main"),
			scan("report.c", "_program/1-report"),
			cmd(cc, flags, []string{"main.c", "report.c", work + "/libgeometry.a", "-Wl,--gc-sections", "-lm", "-lpthread", "-o", out}),
		}
	}
	prefixMap := []string{"-ffile-prefix-map=" + dir + "=.", "-ffile-prefix-map=" + work + "=."}
	recipeFlags := []string{"-O2", "-Ilib", `-DVERSION="1.0"`}
	flags := func(linkage ...string) []string {
		return slices.Concat([]string{"-s", "-Wl,--build-id=sha1"}, linkage, prefixMap, recipeFlags)
	}

	gcc, zig := loadReal(t, "gcc"), loadReal(t, "zig")
	target := func(d *toolchain.Definition, p recipe.Platform) toolchain.Target {
		tg, ok := d.Target(p)
		if !ok {
			t.Fatalf("%s does not serve %s", d.Name, p)
		}
		return tg
	}
	tests := []struct {
		name     string
		def      *toolchain.Definition
		p        recipe.Platform
		l        recipe.Linkage
		resolved map[string]string
		want     []toolchain.Command
	}{
		{
			name:     "gcc amd64 static",
			def:      gcc,
			p:        recipe.AMD64,
			l:        recipe.Static,
			resolved: map[string]string{"gcc": "/usr/bin/gcc", "g++": "/usr/bin/g++", "ar": "/usr/bin/ar"},
			want:     steps([]string{"/usr/bin/gcc"}, []string{"/usr/bin/ar"}, flags("-static")),
		},
		{
			name: "gcc arm64 dynamic, unresolved",
			def:  gcc,
			p:    recipe.ARM64,
			l:    recipe.Dynamic,
			want: steps([]string{"aarch64-linux-gnu-gcc"}, []string{"aarch64-linux-gnu-ar"}, flags()),
		},
		{
			name:     "gcc arm64 dynamic, resolved",
			def:      gcc,
			p:        recipe.ARM64,
			l:        recipe.Dynamic,
			resolved: map[string]string{"aarch64-linux-gnu-gcc": "/usr/bin/aarch64-linux-gnu-gcc", "aarch64-linux-gnu-ar": "/usr/bin/aarch64-linux-gnu-ar"},
			want:     steps([]string{"/usr/bin/aarch64-linux-gnu-gcc"}, []string{"/usr/bin/aarch64-linux-gnu-ar"}, flags()),
		},
		{
			name:     "zig arm/v7 static",
			def:      zig,
			p:        recipe.ARMv7,
			l:        recipe.Static,
			resolved: map[string]string{"zig": "/opt/zig/zig"},
			want: steps([]string{"/opt/zig/zig", "cc", "-target", "arm-linux-musleabihf"},
				[]string{"/opt/zig/zig", "ar"}, flags("-static")),
		},
		{
			name:     "zig arm/v7 dynamic",
			def:      zig,
			p:        recipe.ARMv7,
			l:        recipe.Dynamic,
			resolved: map[string]string{"zig": "/opt/zig/zig"},
			want: steps([]string{"/opt/zig/zig", "cc", "-target", "arm-linux-gnueabihf.2.34"},
				[]string{"/opt/zig/zig", "ar"}, flags()),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := toolchain.Plan{
				Def: tt.def, Target: target(tt.def, tt.p), Linkage: tt.l, Recipe: stepsRecipe(),
				Resolved: tt.resolved, WorkDir: work, Output: out,
			}
			got := plan.Steps()
			if len(got) != len(tt.want) {
				t.Fatalf("Steps() has %d steps, want %d:\n%s", len(got), len(tt.want), commands(got))
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], tt.want[i]) {
					t.Errorf("step %d =\n  %q in %s\nwant\n  %q in %s", i, got[i].Args, got[i].Dir, tt.want[i].Args, tt.want[i].Dir)
				}
			}
			checkStepInvariants(t, got, tt.l, dir, out)
		})
	}
}

// checkStepInvariants checks what every build must do whatever the
// toolchain: map the build paths away, link statically only when asked,
// archive deterministically, link libraries after the sources, output last.
func checkStepInvariants(t *testing.T, steps []toolchain.Command, l recipe.Linkage, dir, out string) {
	t.Helper()
	for i, s := range steps {
		if s.Dir != dir {
			t.Errorf("step %d runs in %s, want the recipe dir %s", i, s.Dir, dir)
		}
		if slices.Contains(s.Args, "rcsD") {
			continue
		}
		if !slices.Contains(s.Args, "-ffile-prefix-map="+dir+"=.") {
			t.Errorf("step %d lacks -ffile-prefix-map=%s=.: %q", i, dir, s.Args)
		}
		if got := slices.Contains(s.Args, "-static"); got != (l == recipe.Static) {
			t.Errorf("step %d: -static present = %v for %s linkage", i, got, l)
		}
	}
	link := steps[len(steps)-1].Args
	if n := len(link); n < 2 || link[n-2] != "-o" || link[n-1] != out {
		t.Errorf("link step does not end with -o %s: %q", out, link)
	}
	lastSource := slices.Index(link, "report.c")
	for _, lib := range []string{"-lm", "-lpthread"} {
		if i := slices.Index(link, lib); i < lastSource {
			t.Errorf("%s at %d comes before the last source at %d: %q", lib, i, lastSource, link)
		}
	}
	archiving := 0
	for _, s := range steps {
		if i := slices.Index(s.Args, "rcsD"); i >= 0 {
			archiving++
		}
	}
	if archiving != 1 {
		t.Errorf("%d archive steps with rcsD, want 1", archiving)
	}
	// Every source's dependency file is written, after the recipe's
	// flags so that they cannot redirect it: by the compile of a library
	// source, by a scan for a program source.
	deps := 0
	for i, s := range steps {
		mf := slices.Index(s.Args, "-MF")
		if mf < 0 {
			continue
		}
		deps++
		mode := s.Args[mf-1]
		if !strings.HasSuffix(s.Args[mf+1], ".d") || (mode != "-MD" || !slices.Contains(s.Args, "-c")) && mode != "-M" {
			t.Errorf("step %d: want -MD -MF <obj>.d with -c, or -M -MF <src>.d: %q", i, s.Args)
		}
		if mode == "-M" && !slices.Equal(s.Args[len(s.Args)-2:], []string{"-o", "/dev/null"}) {
			t.Errorf("scan step %d writes something: %q", i, s.Args)
		}
		if o := slices.Index(s.Args, "-O2"); o > mf {
			t.Errorf("step %d: the recipe's flags come after -MF: %q", i, s.Args)
		}
	}
	if deps != 4 {
		t.Errorf("%d steps write a dependency file, want 4 (one per source)", deps)
	}
}

func commands(cs []toolchain.Command) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString("  " + c.String() + "\n")
	}
	return b.String()
}

func TestPlanStepsCXX(t *testing.T) {
	gcc := loadReal(t, "gcc")
	tg, _ := gcc.Target(recipe.ARM64)
	r := &recipe.Recipe{Name: "wc", Dir: "/r/wc", Language: recipe.CXX, Sources: []string{"wc.cpp"}}
	plan := toolchain.Plan{Def: gcc, Target: tg, Linkage: recipe.Static, Recipe: r, WorkDir: "/w", Output: "/o/wc"}
	flags := []string{"aarch64-linux-gnu-g++", "-s", "-Wl,--build-id=sha1", "-static",
		"-ffile-prefix-map=/r/wc=.", "-ffile-prefix-map=/w=."}
	want := []toolchain.Command{
		{Args: slices.Concat(flags, []string{"wc.cpp", "-M", "-MF", "/w/_program/0-wc.d", "-o", "/dev/null"}), Dir: "/r/wc"},
		{Args: slices.Concat(flags, []string{"wc.cpp", "-o", "/o/wc"}), Dir: "/r/wc"},
	}
	if got := plan.Steps(); !reflect.DeepEqual(got, want) {
		t.Errorf("Steps() = %+v, want %+v", got, want)
	}
}

func TestEnv(t *testing.T) {
	// The host's compiler settings must not reach the compiler.
	t.Setenv("CC", "clang")
	t.Setenv("CFLAGS", "-O0 -g")
	t.Setenv("LANG", "de_DE.UTF-8")
	t.Setenv("TZ", "Europe/Berlin")
	t.Setenv("LD_LIBRARY_PATH", "/opt/evil")

	got := toolchain.Env(toolchain.EnvConfig{
		PathDirs:        []string{"/opt/zig", "/usr/bin", "/bin"},
		SourceDateEpoch: 1704067200,
		CacheDir:        "/cache/fromscratch",
		TempDir:         "/cache/fromscratch/tmp",
	})
	want := []string{
		"HOME=/cache/fromscratch",
		"LANG=C",
		"LC_ALL=C",
		"PATH=/opt/zig:/usr/bin:/bin",
		"SOURCE_DATE_EPOCH=1704067200",
		"TMPDIR=/cache/fromscratch/tmp",
		"TZ=UTC",
		"ZIG_GLOBAL_CACHE_DIR=/cache/fromscratch/zig-cache",
		"ZIG_LOCAL_CACHE_DIR=/cache/fromscratch/zig-cache",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Env =\n%q\nwant\n%q", got, want)
	}
	if !sort.StringsAreSorted(got) {
		t.Errorf("Env is not sorted: %q", got)
	}
	seen := map[string]bool{}
	for _, kv := range got {
		k, _, _ := strings.Cut(kv, "=")
		if seen[k] {
			t.Errorf("Env sets %s twice", k)
		}
		seen[k] = true
		switch k {
		case "CC", "CFLAGS", "LD_LIBRARY_PATH":
			t.Errorf("host variable leaked: %s", kv)
		}
		if strings.Contains(kv, "de_DE") || strings.Contains(kv, "Berlin") || strings.Contains(kv, "/opt/evil") {
			t.Errorf("host value leaked: %s", kv)
		}
	}
}
