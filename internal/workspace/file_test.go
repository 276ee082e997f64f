package workspace

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

func TestReadFile(t *testing.T) {
	root := t.TempDir()
	f, err := ReadFile(root)
	if err != nil || f.Out != "" || f.Platforms != nil || f.Toolchains != nil || f.Linkages != nil {
		t.Fatalf("no %s: ReadFile = %+v, %v; want the zero File", FileName, f, err)
	}
	write(t, root, map[string]string{FileName: `
platforms = ["linux/amd64", "arm64"]
toolchains = ["gcc"]
linkages = ["static"]
out = "build/images"
`})
	f, err = ReadFile(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []recipe.Platform{"linux/amd64", "linux/arm64"}; !slices.Equal(f.Platforms, want) {
		t.Errorf("Platforms = %v, want %v", f.Platforms, want)
	}
	if !slices.Equal(f.Toolchains, []string{"gcc"}) || !slices.Equal(f.Linkages, []recipe.Linkage{recipe.Static}) {
		t.Errorf("Toolchains, Linkages = %v, %v", f.Toolchains, f.Linkages)
	}
	if want := filepath.Join(root, "build", "images"); f.Out != want {
		t.Errorf("Out = %s, want %s (relative to the project)", f.Out, want)
	}
}

// Every mistake is reported at once, each with the file, the key and
// what is allowed.
func TestParseFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       []string
	}{
		{"unknown keys", "platfroms = [\"amd64\"]\ntoolchain = [\"gcc\"]\n[smoke]\nx = 1\n", []string{
			"fromscratch.toml: platfroms: unknown key (did you mean platforms?)",
			"fromscratch.toml: toolchain: unknown key (did you mean toolchains?)",
			"fromscratch.toml: smoke.x: unknown key (allowed: platforms, toolchains, linkages, out)"}},
		{"bad values", "platforms = [\"linux/mips\"]\nlinkages = [\"shared\"]\ntoolchains = [\"gcc,zig\"]\n", []string{
			`fromscratch.toml: platforms[0]: unknown platform "linux/mips" (allowed: linux/amd64`,
			`fromscratch.toml: linkages[0]: unknown linkage "shared" (allowed: static, dynamic)`,
			`fromscratch.toml: toolchains[0]: "gcc,zig" is not a toolchain name`}},
		{"empty", "platforms = []\nout = \"\"\n", []string{
			"fromscratch.toml: platforms: an empty list selects nothing",
			"fromscratch.toml: out: empty"}},
		{"wrong type", "platforms = \"linux/amd64\"\n", []string{"fromscratch.toml: ", "allowed keys: platforms, toolchains, linkages, out"}},
		{"not toml", "platforms = [\n", []string{"fromscratch.toml: "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFile([]byte(tc.data), "/p")
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// The toolchain names are the built-in files' and the project's own.
func TestToolchainNames(t *testing.T) {
	root := t.TempDir()
	if got := ToolchainNames(root); !slices.Equal(got, []string{"gcc", "musl-gcc", "zig"}) {
		t.Errorf("without toolchains/: %q", got)
	}
	if err := os.MkdirAll(filepath.Join(root, ToolchainsDir), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"clang.toml", "gcc.toml", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(root, ToolchainsDir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := ToolchainNames(root); !slices.Equal(got, []string{"clang", "gcc", "musl-gcc", "zig"}) {
		t.Errorf("with toolchains/clang.toml: %q", got)
	}
}

// A project without toolchains/ gets the built-in files; one with some
// of them gets those replaced and the rest built in; one with all of them
// (this repository) uses its own folder.
func TestToolchains(t *testing.T) {
	cache := t.TempDir()
	builtin := builtinNames()
	if !slices.Contains(builtin, "gcc.toml") || !slices.Contains(builtin, "runtime.lock.json") || !slices.Contains(builtin, "buildroot.lock.json") {
		t.Fatalf("built-in toolchain files %v lack gcc.toml or a lock", builtin)
	}
	names := func(dir string) []string {
		t.Helper()
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	t.Run("none", func(t *testing.T) {
		dir, err := Toolchains(t.TempDir(), cache)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(dir) != "toolchains" || !strings.HasPrefix(dir, cache) {
			t.Errorf("dir = %s, want a toolchains folder under the cache", dir)
		}
		if got := names(dir); !slices.Equal(got, builtin) {
			t.Errorf("files = %v, want the built-in %v", got, builtin)
		}
		again, err := Toolchains(t.TempDir(), cache)
		if err != nil || again != dir {
			t.Errorf("a second project = %s, %v; want the same folder %s", again, err, dir)
		}
	})
	t.Run("some", func(t *testing.T) {
		root := t.TempDir()
		write(t, root, map[string]string{"toolchains/gcc.toml": "# mine\n", "toolchains/clang.toml": "# new\n"})
		dir, err := Toolchains(root, cache)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := names(dir), append(slices.Clone(builtin), "clang.toml"); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
			t.Errorf("files = %v, want %v", got, want)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "gcc.toml")); string(b) != "# mine\n" {
			t.Errorf("gcc.toml = %q, want the project's", b)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "zig.toml")); !strings.Contains(string(b), "zig") {
			t.Errorf("zig.toml = %q, want the built-in one", b)
		}
	})
	t.Run("all", func(t *testing.T) {
		root := t.TempDir()
		files := map[string]string{}
		for _, n := range builtin {
			files["toolchains/"+n] = "own\n"
		}
		write(t, root, files)
		dir, err := Toolchains(root, cache)
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(root, "toolchains"); dir != want {
			t.Errorf("dir = %s, want the project's own %s", dir, want)
		}
	})
}

// Every file of this repository's toolchains/ is built in (a new kind of
// file needs the embed pattern of builtin.go to match it), as committed.
func TestToolchainsBuiltinAreTheRepositorys(t *testing.T) {
	files, err := builtinFiles()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join("..", "..", "toolchains"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		own, err := os.ReadFile(filepath.Join("..", "..", "toolchains", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if data, ok := files[e.Name()]; !ok {
			t.Errorf("toolchains/%s is not built in: extend the go:embed pattern of builtin.go", e.Name())
		} else if string(own) != string(data) {
			t.Errorf("built-in %s differs from toolchains/%s", e.Name(), e.Name())
		}
	}
}
