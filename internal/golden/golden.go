// Package golden compares test output with testdata/<TestName>.golden and
// rewrites those files when the tests run with -update.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

// Path is the golden file of the running test.
func Path(t testing.TB) string {
	return filepath.Join("testdata", strings.ReplaceAll(t.Name(), "/", "_")+".golden")
}

// Check compares got with the test's golden file, or rewrites the file
// with -update.
func Check(t testing.TB, got []byte) {
	t.Helper()
	path := Path(t)
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
