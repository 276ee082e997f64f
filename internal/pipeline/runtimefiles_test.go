package pipeline

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/smoke"
)

// greet is a make project whose program prints a data file it installs
// under /usr/share: without that file in the image it fails.
var greet = map[string]string{
	"greet.c": `#include <stdio.h>
int main(void) {
	char buf[128];
	FILE *f = fopen("/usr/share/greet/message", "r");
	if (!f) { perror("/usr/share/greet/message"); return 2; }
	size_t n = fread(buf, 1, sizeof buf, f);
	fwrite(buf, 1, n, stdout);
	return 0;
}
`,
	"message": "hello from an installed data file\n",
	"helper":  "#!/bin/false\n", // an executable file the image carries with its x bits
	"Makefile": `prefix ?= /usr/local
greet: greet.c
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ greet.c
install: greet
	install -D -m 755 greet $(DESTDIR)$(prefix)/bin/greet
	install -D -m 644 message $(DESTDIR)$(prefix)/share/greet/message
	install -D -m 755 helper $(DESTDIR)$(prefix)/libexec/greet/helper
`,
}

// TestRuntimeFiles builds a make project whose program reads a file it
// installs: with runtime_files naming it, the image holds the file at its
// path and the smoke run passes on amd64 and, under qemu, arm64; without
// it the same program fails its smoke run (so the file is what made the
// difference); a runtime file that was not installed fails its recipe's
// cells with the file named, and the other recipes are still built.
func TestRuntimeFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs images")
	}
	needEngine(t)
	root := t.TempDir()
	if err := os.CopyFS(filepath.Join(root, "toolchains"), os.DirFS(filepath.Join(repoRoot(t), "toolchains"))); err != nil {
		t.Fatal(err)
	}
	write := func(name, toml string) {
		t.Helper()
		dir := filepath.Join(root, "recipes", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		files := map[string]string{recipe.FileName: toml}
		for n, s := range greet {
			files[n] = s
		}
		for n, s := range files {
			if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	const common = "language = \"c\"\nbuild = \"make\"\nbinary = \"usr/bin/greet\"\n"
	const smokeWant = "[smoke]\nstdout = \"hello from an installed data file\\n\"\n"
	write("greet", common+"runtime_files = [\"usr/share/greet/message\", \"usr/libexec/greet/helper\"]\n"+smokeWant)
	write("greetbare", common+smokeWant)
	write("greetwrong", common+"runtime_files = [\"usr/share/greet/nosuchfile\"]\n"+smokeWant)

	o := testOptions(t, root)
	o.Platforms, o.Toolchains = []recipe.Platform{recipe.AMD64, recipe.ARM64}, []string{"gcc"}
	if _, err := New(o).Build(t.Context()); err == nil {
		t.Error("the build succeeded, want greetbare's smoke runs and greetwrong's cells to fail it")
	}
	m, err := matrix.Load(filepath.Join(o.OutDir, "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, row := range m.Rows {
		seen[row.Recipe]++
		name := strings.ReplaceAll(row.Key().String(), "/", "-")
		switch row.Recipe {
		case "greet":
			t.Run(name, func(t *testing.T) {
				if row.Status != matrix.StatusBuilt {
					t.Fatalf("%s: %s", row.Status, row.Reason)
				}
				checkRowAgainstDisk(t, o, row)
				if row.Smoke.Status != smoke.StatusPass {
					t.Errorf("smoke %s: %s %q", row.Smoke.Status, row.Smoke.Reason, row.Smoke.Output)
				}
				p, _ := recipe.ParsePlatform(row.Platform)
				cell := recipe.Cell{Recipe: row.Recipe, Platform: p, Toolchain: row.Toolchain, Linkage: recipe.Linkage(row.Linkage)}
				img, err := image.Lookup(filepath.Join(o.OutDir, "oci", row.Recipe), cell.Variant(), row.Platform)
				if err != nil {
					t.Fatal(err)
				}
				data, mode, err := fileInImage(img, "usr/share/greet/message")
				if err != nil {
					t.Fatal(err)
				}
				if data != greet["message"] || mode != 0o644 {
					t.Errorf("/usr/share/greet/message in the image: %q mode %o, want %q mode 644", data, mode, greet["message"])
				}
				data, mode, err = fileInImage(img, "usr/libexec/greet/helper")
				if err != nil || data != greet["helper"] || mode != 0o755 {
					t.Errorf("/usr/libexec/greet/helper in the image: %q mode %o (%v), want %q mode 755", data, mode, err, greet["helper"])
				}
			})
		case "greetbare":
			t.Run(name, func(t *testing.T) {
				if row.Status != matrix.StatusBuilt {
					t.Fatalf("%s: %s", row.Status, row.Reason)
				}
				if row.Smoke.Status != smoke.StatusFail || !strings.Contains(row.Smoke.Reason, "/usr/share/greet/message: No such file") {
					t.Errorf("smoke without runtime_files: %s %q, want a failure saying the file is missing", row.Smoke.Status, row.Smoke.Reason)
				}
			})
		case "greetwrong":
			t.Run(name, func(t *testing.T) {
				if row.Status != matrix.StatusFailed || !strings.Contains(row.Reason, "usr/share/greet/nosuchfile was not installed") {
					t.Errorf("%s %q, want failed naming usr/share/greet/nosuchfile", row.Status, row.Reason)
				}
			})
		}
	}
	for _, name := range []string{"greet", "greetbare", "greetwrong"} {
		if seen[name] != 4 { // amd64 and arm64, static and dynamic
			t.Errorf("%s: %d rows, want 4", name, seen[name])
		}
	}
}

// fileInImage returns the content and mode of path in the image's
// flattened file system.
func fileInImage(img image.Image, path string) (string, int64, error) {
	layers, err := img.Layers()
	if err != nil {
		return "", 0, err
	}
	for i := len(layers) - 1; i >= 0; i-- {
		rc, err := layers[i].Uncompressed()
		if err != nil {
			return "", 0, err
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				rc.Close()
				return "", 0, err
			}
			if strings.TrimPrefix(h.Name, "./") == path || strings.TrimPrefix(h.Name, "/") == path {
				b, err := io.ReadAll(tr)
				rc.Close()
				return string(b), h.Mode & 0o7777, err
			}
		}
		rc.Close()
	}
	return "", 0, errors.New(path + " is in no layer of the image")
}
