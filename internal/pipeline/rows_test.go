package pipeline

import (
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// A failed cell's reason in the matrix leads with the compiler's error
// line and keeps the build log's path, however long the output.
func TestOneLineLeadsWithTheError(t *testing.T) {
	err := "compile: exit status 1: main.c: In function 'main':\n" +
		"main.c:3:5: error: 'x' undeclared (first use in this function)\n" +
		"    3 | x = 1;\n      | ^\nmain.c:3:5: note: each undeclared identifier is reported only once\n" +
		"a\nb\nc\nd (log: out/bin/hello/linux-amd64/gcc-static/build.log)"
	got := oneLine(err)
	lines := strings.Split(got, "\n")
	if !strings.HasPrefix(lines[0], "main.c:3:5: error: 'x' undeclared") {
		t.Errorf("first line %q, want the error line", lines[0])
	}
	if !strings.Contains(got, "In function 'main'") || !strings.HasSuffix(got, "(log: out/bin/hello/linux-amd64/gcc-static/build.log)") {
		t.Errorf("oneLine lost the context or the log's path:\n%s", got)
	}
	if len(lines) > 8 {
		t.Errorf("%d lines, want at most 8:\n%s", len(lines), got)
	}
	if got := oneLine("ld.lld: error: unable to find library -lc"); got != "ld.lld: error: unable to find library -lc" {
		t.Errorf("oneLine of one line = %q", got)
	}
}

// A failed link's reason is the linker's own line (the undefined
// reference, the library it cannot find), not collect2's closing "ld
// returned 1 exit status", in the summary and in the matrix alike.
func TestReasonLeadsWithTheLinkerLine(t *testing.T) {
	for _, tc := range []struct{ out, want string }{
		{"/usr/bin/ld: /tmp/ccOjhiFn.o: in function `main':\n" +
			"main.c:(.text.startup+0x9): undefined reference to `prinft'\n" +
			"collect2: error: ld returned 1 exit status",
			"main.c:(.text.startup+0x9): undefined reference to `prinft'"},
		{"/usr/bin/ld: cannot find -lwidget: No such file or directory\ncollect2: error: ld returned 1 exit status",
			"/usr/bin/ld: cannot find -lwidget: No such file or directory"},
		{"/usr/bin/aarch64-linux-gnu-gcc -O2 -c -o src/main/debug.o src/main/debug.c\n" +
			"ld: src/main/debug.o: Relocations in generic ELF (EM: 183)\n" +
			"ld: src/main/debug.o: error adding symbols: file in wrong format\nmake: *** [Makefile:10: all.o] Error 1",
			"ld: src/main/debug.o: error adding symbols: file in wrong format"},
		{"main.c:2:17: warning: implicit declaration of function 'prinft'\n" +
			"main.c:4:1: error: expected ';' before '}' token\ncollect2: error: ld returned 1 exit status",
			"main.c:4:1: error: expected ';' before '}' token"},
	} {
		err := "gcc: exit status 1: " + tc.out + " (log: out/bin/x/linux-amd64/gcc-static/build.log)"
		if got := ReasonLine(err); !strings.HasSuffix(got, tc.want+" (log: out/bin/x/linux-amd64/gcc-static/build.log)") {
			t.Errorf("ReasonLine(%q) = %q, want %q and the log", err, got, tc.want)
		}
		if got := strings.Split(oneLine(err), "\n")[0]; !strings.HasSuffix(got, tc.want) {
			t.Errorf("oneLine(%q) leads with %q, want %q", err, got, tc.want)
		}
	}
}

// A row's reason holds no name of gcc's temporary files, which differ in
// every run.
func TestReasonHasNoTemporaryNames(t *testing.T) {
	err := "gcc: exit status 1: /usr/bin/ld: /tmp/ccOjhiFn.o: in function `main':\n" +
		"/usr/bin/ld: /tmp/cc9aZ0qQ.o: warning\ncollect2: error: ld returned 1 exit status"
	got := oneLine(err)
	if strings.Contains(got, "ccOjhiFn") || strings.Contains(got, "cc9aZ0qQ") || !strings.Contains(got, "/tmp/ccXXXXXX.o: in function") {
		t.Errorf("oneLine kept a temporary name or lost the line: %q", got)
	}
}

// The rows of a real program say its build system, source and libraries,
// which the matrix's real-programs section shows; a files recipe's say
// nothing, so its rows are as before.
func TestRowsOfRealPrograms(t *testing.T) {
	gcc := &toolchain.Definition{Name: "gcc"}
	onig := &recipe.Recipe{Name: "onig", Build: recipe.BuildCMake, Kind: recipe.KindLibrary}
	jq := &recipe.Recipe{Name: "jq", Build: recipe.BuildAutotools, Depends: []string{"onig"},
		Source: recipe.Source{Debian: "jq", Version: "1.6-2.1+deb12u2"}}
	tool := &recipe.Recipe{Name: "tool", Build: recipe.BuildMake, Source: recipe.Source{URL: "https://example.org/tool-1.0.tar.gz"}}
	hello := &recipe.Recipe{Name: "hello"}
	job := func(rc *recipe.Recipe, deps ...*recipe.Recipe) Job {
		return Job{Cell: recipe.Cell{Recipe: rc.Name, Platform: recipe.AMD64, Toolchain: "gcc", Linkage: recipe.Static},
			Recipe: rc, Def: gcc, Deps: deps, Status: matrix.StatusNotApplicable, Reason: "excluded"}
	}
	m := Rows(&Report{Jobs: []Job{job(jq, onig), job(tool), job(hello)}})
	want := map[string]matrix.Row{
		"jq":    {Build: "autotools", Source: "Debian jq 1.6-2.1+deb12u2", Depends: []string{"onig"}},
		"tool":  {Build: "make", Source: "https://example.org/tool-1.0.tar.gz"},
		"hello": {},
	}
	for _, r := range m.Rows {
		w := want[r.Recipe]
		if r.Build != w.Build || r.Source != w.Source || !slices.Equal(r.Depends, w.Depends) || r.IsRealProgram() != (w.Build != "") {
			t.Errorf("%s: build %q, source %q, depends %v; want %q, %q, %v", r.Recipe, r.Build, r.Source, r.Depends, w.Build, w.Source, w.Depends)
		}
	}
	if len(m.Rows) != 3 {
		t.Errorf("%d rows, want 3", len(m.Rows))
	}
}

func TestReasonLine(t *testing.T) {
	err := "compile: exit status 1: main.c: In function 'main':\nmain.c:3:5: error: 'x' undeclared (first use in this function)\n    3 | x = 1;\n (log: out/bin/hello/linux-amd64/gcc-static/build.log)"
	got := ReasonLine(err)
	if !strings.Contains(got, "error: 'x' undeclared") || !strings.Contains(got, "build.log") || strings.Contains(got, "In function") {
		t.Errorf("ReasonLine = %q, want the error line and the log's path", got)
	}
	if got := ReasonLine("smoke run: exit 139"); got != "smoke run: exit 139" {
		t.Errorf("ReasonLine of one line = %q", got)
	}
}
