package workspace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// write creates each file under dir with its content.
func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// env is a getenv over a map.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// source is a checkout with one recipe and one toolchain.
func source(t *testing.T) string {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"go.mod":                    "module github.com/fromscratch/fromscratch\n\ngo 1.26.0\n",
		"recipes/hello/recipe.toml": "language = \"c\"\n",
		"recipes/hello/hello.c":     "int main(void) { return 0; }\n",
		"toolchains/gcc.toml":       "name = \"gcc\"\n",
	})
	// Root follows symlinks: compare with the resolved path.
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	return real
}

// manifest writes a runfiles manifest that maps the data files of src under
// the runfiles directory repo, plus mapping lines as the repository mapping
// (none if empty), the way Bazel writes one for a binary.
func manifest(t *testing.T, src, repo, mapping string) string {
	t.Helper()
	dir := t.TempDir()
	var lines []string
	for _, f := range []string{"recipes/hello/recipe.toml", "recipes/hello/hello.c", "toolchains/gcc.toml"} {
		lines = append(lines, repo+"/"+f+" "+filepath.Join(src, f))
	}
	if mapping != "" {
		p := filepath.Join(dir, "_repo_mapping")
		write(t, dir, map[string]string{"_repo_mapping": mapping})
		lines = append(lines, "_repo_mapping "+p)
	}
	p := filepath.Join(dir, "fromscratch.runfiles_manifest")
	write(t, dir, map[string]string{"fromscratch.runfiles_manifest": strings.Join(lines, "\n") + "\n"})
	return p
}

// tree lays out a runfiles directory the way Bazel does on Linux: the data
// files under the repository's directory, and the repository mapping.
func tree(t *testing.T, repo, mapping string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, map[string]string{
		repo + "/recipes/hello/recipe.toml": "language = \"c\"\n",
		repo + "/toolchains/gcc.toml":       "name = \"gcc\"\n",
	})
	if mapping != "" {
		write(t, dir, map[string]string{"_repo_mapping": mapping})
	}
	return dir
}

func TestRootRunfilesManifest(t *testing.T) {
	src := source(t)
	elsewhere := t.TempDir()
	for _, tt := range []struct {
		name, repo, mapping string
	}{
		{"bzlmod", "_main", ",fromscratch,_main\n,rules_go,rules_go+\n"},
		{"bzlmod without mapping", "_main", ""},
		{"dependency of another module", "fromscratch+", ",fromscratch,fromscratch+\n"},
		{"WORKSPACE named fromscratch", "fromscratch", ""},
		{"unnamed WORKSPACE", "__main__", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := manifest(t, src, tt.repo, tt.mapping)
			got, err := Root(env(map[string]string{"RUNFILES_MANIFEST_FILE": m}), elsewhere, "")
			if err != nil {
				t.Fatal(err)
			}
			if got != src {
				t.Errorf("Root = %s, want the source tree %s", got, src)
			}
		})
	}
}

func TestRootRunfilesDirectory(t *testing.T) {
	elsewhere := t.TempDir()
	t.Run("symlinks into the source tree", func(t *testing.T) {
		// Bazel's runfiles tree on Linux: real directories, each file a
		// symlink to the source file. Root is the source tree.
		src := source(t)
		rf := t.TempDir()
		for _, f := range []string{"recipes/hello/recipe.toml", "recipes/hello/hello.c", "toolchains/gcc.toml"} {
			link := filepath.Join(rf, "_main", f)
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(src, f), link); err != nil {
				t.Fatal(err)
			}
		}
		write(t, rf, map[string]string{"_repo_mapping": ",fromscratch,_main\n"})
		got, err := Root(env(map[string]string{"RUNFILES_DIR": rf}), elsewhere, "")
		if err != nil {
			t.Fatal(err)
		}
		if got != src {
			t.Errorf("Root = %s, want the source tree %s", got, src)
		}
	})
	t.Run("RUNFILES_DIR", func(t *testing.T) {
		rf := tree(t, "_main", ",fromscratch,_main\n")
		got, err := Root(env(map[string]string{"RUNFILES_DIR": rf}), elsewhere, "")
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(rf, "_main"); got != want {
			t.Errorf("Root = %s, want %s", got, want)
		}
	})
	t.Run("next to the program", func(t *testing.T) {
		// bazel run starts bazel-bin/cmd/fromscratch/fromscratch_/fromscratch
		// with its runfiles in fromscratch.runfiles beside it.
		bin := t.TempDir()
		program := filepath.Join(bin, "fromscratch")
		rf := tree(t, "fromscratch", "")
		if err := os.Rename(rf, program+".runfiles"); err != nil {
			t.Fatal(err)
		}
		got, err := Root(env(nil), elsewhere, program)
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(program+".runfiles", "fromscratch"); got != want {
			t.Errorf("Root = %s, want %s", got, want)
		}
	})
	t.Run("manifest next to the program", func(t *testing.T) {
		src := source(t)
		m := manifest(t, src, "_main", "")
		program := strings.TrimSuffix(m, ".runfiles_manifest")
		got, err := Root(env(nil), elsewhere, program)
		if err != nil {
			t.Fatal(err)
		}
		if got != src {
			t.Errorf("Root = %s, want %s", got, src)
		}
	})
}

func TestRootRepository(t *testing.T) {
	src := source(t)
	// A nested module is walked past.
	write(t, src, map[string]string{"internal/x/testdata/mod/go.mod": "module example.com/other\n"})
	deep := filepath.Join(src, "internal", "x", "testdata", "mod")
	for _, wd := range []string{src, filepath.Join(src, "recipes", "hello"), deep} {
		got, err := Root(env(nil), wd, "")
		if err != nil {
			t.Fatal(err)
		}
		if got != src {
			t.Errorf("Root from %s = %s, want %s", wd, got, src)
		}
	}
}

func TestRootRepositoryWhenRunfilesLackTheData(t *testing.T) {
	// The binary of another project: its runfiles have no recipes, and the
	// working directory is a fromscratch checkout.
	src := source(t)
	rf := t.TempDir()
	write(t, rf, map[string]string{"_main/other/file.txt": "x"})
	got, err := Root(env(map[string]string{"RUNFILES_DIR": rf}), src, "")
	if err != nil {
		t.Fatal(err)
	}
	if got != src {
		t.Errorf("Root = %s, want %s", got, src)
	}
}

// A project is any directory with recipes/ or a fromscratch.toml, found
// at or above the working directory; with neither, the working directory
// is the project (init writes its first recipe there, matrix compare needs
// none).
func TestRootProject(t *testing.T) {
	real := func(dir string) string {
		t.Helper()
		r, err := filepath.EvalSymlinks(dir)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	withRecipes := real(t.TempDir())
	write(t, withRecipes, map[string]string{"recipes/prog/recipe.toml": "language = \"c\"\n", "go.mod": "module example.com/mine\n"})
	withFile := real(t.TempDir())
	write(t, withFile, map[string]string{FileName: "platforms = [\"linux/amd64\"]\n", "src/main.c": ""})
	empty := real(t.TempDir())
	for _, tc := range []struct{ wd, want string }{
		{withRecipes, withRecipes},
		{filepath.Join(withRecipes, "recipes", "prog"), withRecipes},
		{filepath.Join(withFile, "src"), withFile},
		{empty, empty},
	} {
		got, err := Root(env(nil), tc.wd, filepath.Join(empty, "fromscratch"))
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("Root from %s = %s, want %s", tc.wd, got, tc.want)
		}
	}
}

func TestRootErrors(t *testing.T) {
	outside := t.TempDir()
	t.Run("runfiles without data", func(t *testing.T) {
		rf := t.TempDir()
		_, err := Root(env(map[string]string{"RUNFILES_DIR": rf}), outside, "")
		if err == nil || !strings.Contains(err.Error(), "no recipes/ in the runfiles") || !strings.Contains(err.Error(), "no recipes/ or fromscratch.toml in "+outside) {
			t.Errorf("Root = %v, want an error about the runfiles and the project", err)
		}
	})
	t.Run("unreadable manifest", func(t *testing.T) {
		_, err := Root(env(map[string]string{"RUNFILES_MANIFEST_FILE": filepath.Join(outside, "missing")}), outside, "")
		if err == nil || !strings.Contains(err.Error(), "opening the runfiles") {
			t.Errorf("Root = %v, want an error opening the runfiles", err)
		}
	})
}

// Rel shortens only what is inside the root; a sibling whose name starts
// like a parent reference ("..x") is inside too.
func TestRel(t *testing.T) {
	for _, tc := range []struct{ p, want string }{
		{"/repo/out/matrix.md", "out/matrix.md"},
		{"/repo", "."},
		{"/repo/..x", "..x"},
		{"/elsewhere/out", "/elsewhere/out"},
		{"/", "/"},
	} {
		if got := Rel("/repo", tc.p); got != tc.want {
			t.Errorf("Rel(/repo, %s) = %q, want %q", tc.p, got, tc.want)
		}
	}
}
