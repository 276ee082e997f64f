package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// image:wrap maps a file name to a valid image name, refuses what is not a
// program with what the file is, and never leaves a half-written folder.
func TestWrapNamesAndRefusals(t *testing.T) {
	root := repoRoot(t)
	testdata := filepath.Join(root, "internal", "elfdeps", "testdata")
	dir := t.TempDir()
	copyAs := func(src, name string) string {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(testdata, src))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c, log, cfg := testCLI(t, root)
	for name, want := range map[string]string{"Hello World": "hello-world", "g++": "g"} {
		if err := c.Wrap(t.Context(), copyAs("hello-arm64-static", name)); err != nil {
			t.Fatalf("wrap %q: %v", name, err)
		}
		for _, f := range []string{"oci/index.json", "image.tar"} {
			if _, err := os.Stat(filepath.Join(cfg.OutDir, "wrap", want, f)); err != nil {
				t.Errorf("wrap %q: %v", name, err)
			}
		}
		if !strings.Contains(log.String(), want+":wrap") {
			t.Errorf("wrap %q does not print the tag %s:wrap:\n%s", name, want, log)
		}
	}
	for file, what := range map[string]string{"foo.o": "relocatable", "libbar.so": "shared library"} {
		err := c.Wrap(t.Context(), copyAs(file, file))
		if err == nil || !strings.Contains(err.Error(), what) {
			t.Errorf("wrap %s = %v, want it called a %s", file, err, what)
		}
	}
	if err := c.Wrap(t.Context(), "/etc/passwd"); err == nil || !strings.Contains(err.Error(), "not an ELF file") {
		t.Errorf("wrap /etc/passwd = %v", err)
	}
	ents, _ := os.ReadDir(filepath.Join(cfg.OutDir, "wrap"))
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "g,hello-world" {
		t.Errorf("out/wrap holds %v, want only the two wrapped programs", names)
	}
}
