package toolchain_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

func TestParseDepFile(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
		err  string
	}{
		{name: "gcc", in: "/w/a.o: a.c /usr/include/stdio.h \\\n /usr/include/features.h ../shared/msg.h\n",
			want: []string{"a.c", "/usr/include/stdio.h", "/usr/include/features.h", "../shared/msg.h"}},
		{name: "zig (clang)", in: "/w/a.o: a.c \\\n  /zig/lib/libc/include/generic-musl/stdio.h \\\n  ../shared/msg.h\n",
			want: []string{"a.c", "/zig/lib/libc/include/generic-musl/stdio.h", "../shared/msg.h"}},
		{name: "no trailing newline", in: "a.o: a.c b.h", want: []string{"a.c", "b.h"}},
		{name: "CRLF", in: "a.o: a.c \\\r\n b.h\r\n", want: []string{"a.c", "b.h"}},
		{name: "escaped spaces", in: `/my\ work/a.o: my\ src.c inc/a\ b.h` + "\n",
			want: []string{"my src.c", "inc/a b.h"}},
		{name: "escaped hash and dollar", in: `a.o: a.c odd\#name.h cost$$.h` + "\n",
			want: []string{"a.c", "odd#name.h", "cost$.h"}},
		{name: "backslash before a space", in: `a.o: a.c dir\\\ x.h` + "\n", want: []string{"a.c", `dir\ x.h`}},
		{name: "backslash inside a name", in: `a.o: a.c we\ird.h` + "\n", want: []string{"a.c", `we\ird.h`}},
		{name: "phony targets of -MP", in: "a.o: a.c b.h\n\nb.h:\n", want: []string{"a.c", "b.h"}},
		{name: "several targets and duplicates", in: "a.o a.d: a.c b.h\nc.o: c.c b.h\n",
			want: []string{"a.c", "b.h", "c.c"}},
		{name: "comment", in: "# made by hand\na.o: a.c\n", want: []string{"a.c"}},
		{name: "colon inside a name", in: "a.o: a.c dir:x/y.h\n", want: []string{"a.c", "dir:x/y.h"}},
		{name: "empty", in: "", err: "no rule"},
		{name: "blank lines only", in: "\n\n", err: "no rule"},
		{name: "no colon", in: "a.o a.c b.h\n", err: "line 1: no ':' after the targets"},
		{name: "garbage after a rule", in: "a.o: a.c\n\x7fELF\x02\x01\n", err: "line 2: no ':'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := toolchain.ParseDepFile([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseDepFile(%q) = %q, %v; want error %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseDepFile(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

// depTree lays out, under a fresh temp dir:
//
//	recipes/demo/        main.c, local.h, lib/x.def, data/table.txt,
//	                     alias.h -> local.h, escape.h -> ../shared/msg.h
//	recipes/shared/msg.h
//	sys/include/stdio.h, sys/include/link.h -> ../../recipes/shared/msg.h
//	via -> recipes/demo  (a symlink to the recipe folder)
func depTree(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	for _, f := range []string{"recipes/demo/main.c", "recipes/demo/local.h", "recipes/demo/lib/x.def",
		"recipes/demo/data/table.txt", "recipes/shared/msg.h", "sys/include/stdio.h"} {
		writeFile(t, filepath.Join(tmp, f), "")
	}
	for link, target := range map[string]string{
		"recipes/demo/alias.h":  "local.h",
		"recipes/demo/escape.h": "../shared/msg.h",
		"sys/include/link.h":    "../../recipes/shared/msg.h",
		"via":                   "recipes/demo",
	} {
		if err := os.Symlink(target, filepath.Join(tmp, link)); err != nil {
			t.Fatal(err)
		}
	}
	return tmp
}

func TestCheckDeps(t *testing.T) {
	tmp := depTree(t)
	demo := filepath.Join(tmp, "recipes", "demo")
	inputs := []string{"alias.h", "lib/x.def", "local.h", "main.c", "recipe.toml"}
	sys := []string{filepath.Join(tmp, "sys")}
	tests := []struct {
		name    string
		dir     string // recipe dir as given; demo unless set
		files   []string
		outside []string // resolved paths reported as outside, in order
		uncov   []string // resolved paths reported as not an input
		err     string   // other error, substring
	}{
		{name: "recipe files and system headers", files: []string{"main.c", "local.h", "./lib/x.def", "lib/../local.h",
			filepath.Join(demo, "local.h"), filepath.Join(tmp, "sys/include/stdio.h")}},
		{name: "a symlink inside the folder is the file it points to", files: []string{"main.c", "alias.h"}},
		{name: "system header as written, wherever it resolves", files: []string{filepath.Join(tmp, "sys/include/link.h")}},
		{name: "include of ../shared", files: []string{"main.c", "../shared/msg.h"},
			outside: []string{"recipes/shared/msg.h"}},
		{name: "through -I.. or an absolute path", files: []string{"lib/../../shared/msg.h", filepath.Join(tmp, "recipes/shared/msg.h")},
			outside: []string{"recipes/shared/msg.h"}},
		{name: "symlink out of the folder", files: []string{"escape.h"}, outside: []string{"recipes/shared/msg.h"}},
		{name: "inside the folder but not an input", files: []string{"main.c", "data/table.txt"},
			uncov: []string{"recipes/demo/data/table.txt"}},
		{name: "recipe dir reached through a symlink", dir: filepath.Join(tmp, "via"), files: []string{"main.c", "alias.h", "../shared/msg.h"},
			outside: []string{"recipes/shared/msg.h"}},
		{name: "vanished file", files: []string{"gone.h"}, err: "compiling main.c read gone.h, which cannot be found any more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := demo
			if tt.dir != "" {
				dir = tt.dir
			}
			err := toolchain.CheckDeps([]toolchain.Deps{{Source: "main.c", Files: tt.files}}, dir, inputs, sys)
			var outside, uncov []string
			var other []error
			for _, e := range unjoin(err) {
				var de *toolchain.DepError
				if !errors.As(e, &de) {
					other = append(other, e)
					continue
				}
				rel, _ := filepath.Rel(tmp, de.Resolved)
				if de.Outside {
					outside = append(outside, rel)
				} else {
					uncov = append(uncov, rel)
				}
				if de.Source != "main.c" || !slices.Contains(tt.files, de.Path) || de.Recipe != filepath.Base(dir) {
					t.Errorf("DepError %+v does not name the source and the file as the compiler did", de)
				}
			}
			if !reflect.DeepEqual(outside, tt.outside) || !reflect.DeepEqual(uncov, tt.uncov) {
				t.Errorf("outside %q, not inputs %q; want %q, %q (error: %v)", outside, uncov, tt.outside, tt.uncov, err)
			}
			if tt.err == "" && len(other) > 0 || tt.err != "" && (len(other) != 1 || !strings.Contains(other[0].Error(), tt.err)) {
				t.Errorf("other errors %v, want %q", other, tt.err)
			}
		})
	}
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestDepErrorMessage(t *testing.T) {
	out := &toolchain.DepError{Recipe: "hello", Source: "hello.c", Path: "../shared/msg.h", Resolved: "/repo/recipes/shared/msg.h", Outside: true}
	want := "compiling hello.c read ../shared/msg.h (resolves to /repo/recipes/shared/msg.h), which is outside recipes/hello: " +
		"the cache key covers only the recipe's own files, so the cell would not be rebuilt when it changes; " +
		"copy it into recipes/hello/ (next to the sources or under an include_dirs folder) and include it from there"
	if out.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", out, want)
	}
	in := &toolchain.DepError{Recipe: "hello", Source: "hello.c", Path: "table.txt", Resolved: "/repo/recipes/hello/table.txt"}
	for _, s := range []string{"compiling hello.c read table.txt (resolves to /repo/recipes/hello/table.txt), which is not among the inputs of recipes/hello",
		"list its folder in include_dirs"} {
		if !strings.Contains(in.Error(), s) {
			t.Errorf("Error() = %s\nlacks %q", in, s)
		}
	}
}

func TestSystemDirs(t *testing.T) {
	gcc, zig := loadReal(t, "gcc"), loadReal(t, "zig")
	host, _ := gcc.Target(recipe.AMD64)
	arm64, _ := gcc.Target(recipe.ARM64)
	zigArm, _ := zig.Target(recipe.ARM64)
	// A zig installation reached through a symlink in a bin/ folder.
	inst := writeExecutables(t, "zig")
	bin := filepath.Join(t.TempDir(), "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(inst, "zig"), filepath.Join(bin, "zig")); err != nil {
		t.Fatal(err)
	}
	std := []string{"/usr/include", "/usr/local/include", "/usr/lib"}
	tests := []struct {
		name     string
		def      *toolchain.Definition
		target   toolchain.Target
		resolved map[string]string
		path     []string
		want     []string
	}{
		{"host gcc in /usr/bin adds nothing", gcc, host, map[string]string{"gcc": "/usr/bin/gcc"}, nil, std},
		{"cross gcc adds its sysroot", gcc, arm64, nil, []string{"/usr/bin"}, append(std, "/usr/aarch64-linux-gnu")},
		{"zig found in PATH, through a symlink", zig, zigArm, nil, []string{bin},
			append(std, "/usr/aarch64-linux-gnu", filepath.Dir(bin), inst)},
		{"zig resolved", zig, zigArm, map[string]string{"zig": filepath.Join(inst, "zig")}, nil,
			append(std, "/usr/aarch64-linux-gnu", inst)},
		{"compiler not found", zig, zigArm, nil, []string{t.TempDir()}, append(std, "/usr/aarch64-linux-gnu")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := toolchain.Plan{Def: tt.def, Target: tt.target, Linkage: recipe.Static,
				Recipe: &recipe.Recipe{Language: recipe.C}, Resolved: tt.resolved}
			if got := p.SystemDirs(tt.path); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SystemDirs = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPlanDepFiles(t *testing.T) {
	p := toolchain.Plan{Def: loadReal(t, "gcc"), Recipe: stepsRecipe(), WorkDir: "/w", Output: "/o/calc"}
	want := []toolchain.DepFile{
		{Source: "lib/area.c", Path: "/w/geometry/0-area.d"},
		{Source: "lib/perimeter.c", Path: "/w/geometry/1-perimeter.d"},
		{Source: "main.c", Path: "/w/_program/0-main.d"},
		{Source: "report.c", Path: "/w/_program/1-report.d"},
	}
	if got := p.DepFiles(); !reflect.DeepEqual(got, want) {
		t.Errorf("DepFiles() = %+v, want %+v", got, want)
	}
	// Each is what the matching compile step passes to -MF.
	var mf []string
	for _, s := range p.Steps() {
		if i := slices.Index(s.Args, "-MF"); i >= 0 {
			mf = append(mf, s.Args[i+1])
		}
	}
	for i, d := range want {
		if i >= len(mf) || mf[i] != d.Path {
			t.Errorf("-MF of compile %d = %q, want %q", i, mf, d.Path)
		}
	}
}
