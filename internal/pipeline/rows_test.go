package pipeline

import (
	"strings"
	"testing"
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
