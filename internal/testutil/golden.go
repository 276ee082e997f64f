// Package testutil holds the helpers every test package shares: golden files
// (testdata/<TestName>.golden, rewritten with -update), "fail in CI, skip
// elsewhere" for missing tools, and reading a tree of files.
package testutil

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

// GoldenPath is the golden file of the running test.
func GoldenPath(t testing.TB) string {
	return filepath.Join("testdata", strings.ReplaceAll(t.Name(), "/", "_")+".golden")
}

// Golden compares got with the test's golden file, or rewrites the file
// with -update.
func Golden(t testing.TB, got []byte) {
	t.Helper()
	path := GoldenPath(t)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update after reviewing):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
