package recipe_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// writeRecipe lays out a recipe folder named name under a fresh temp dir:
// files maps paths relative to the folder to their contents. It returns the
// folder.
func writeRecipe(t *testing.T, name string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	writeFiles(t, dir, files)
	return dir
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestLoad(t *testing.T) {
	dir := writeRecipe(t, "calc", map[string]string{
		"recipe.toml": `
description = "a calculator"
language = "c"
sources = ["main.c", "./report.c"]
include_dirs = ["lib"]
defines = ['VERSION="1.0"']
cflags = ["-O2", "-Wall"]
ldflags = ["-Wl,--gc-sections"]
libraries = ["m"]

[[static_libraries]]
name = "geometry"
sources = ["lib/area.c"]

[smoke]
args = ["2", "3"]
stdout = "5\n"
exit_code = 3
timeout = "5s"

[[exclude]]
platform = "linux/riscv64"
toolchain = "zig"
linkage = "dynamic"
reason = "no riscv64 glibc"
`,
		"main.c":      "int main(void) { return 0; }\n",
		"report.c":    "",
		"lib/area.c":  "",
		"lib/area.h":  "",
		"notes/x.txt": "",
	})
	r, err := recipe.Load(dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	stdout := "5\n"
	want := &recipe.Recipe{
		Name:            "calc",
		Dir:             dir,
		Description:     "a calculator",
		Language:        recipe.C,
		Sources:         []string{"main.c", "./report.c"},
		IncludeDirs:     []string{"lib"},
		Defines:         []string{`VERSION="1.0"`},
		CFlags:          []string{"-O2", "-Wall"},
		LDFlags:         []string{"-Wl,--gc-sections"},
		Libraries:       []string{"m"},
		StaticLibraries: []recipe.StaticLibrary{{Name: "geometry", Sources: []string{"lib/area.c"}}},
		Smoke:           recipe.Smoke{Args: []string{"2", "3"}, Stdout: &stdout, ExitCode: 3, Timeout: "5s"},
		Exclude: []recipe.Exclude{{
			Platform: "linux/riscv64", Toolchain: "zig", Linkage: "dynamic", Reason: "no riscv64 glibc",
		}},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("Load(%s) =\n%+v\nwant\n%+v", dir, r, want)
	}
	if !r.Smoke.Matches("5\n") {
		t.Errorf("Smoke.Matches(%q) = false, want true", "5\n")
	}
	for _, out := range []string{"5", "5\n\n", "6\n", ""} {
		if r.Smoke.Matches(out) {
			t.Errorf("Smoke.Matches(%q) = true, want false", out)
		}
	}
	if got := r.Smoke.TimeoutOrDefault(); got != 5*time.Second {
		t.Errorf("TimeoutOrDefault = %v, want 5s", got)
	}
}

func TestLoadRelativeDir(t *testing.T) {
	// A relative dir is resolved: Dir is absolute and Name its base.
	r, err := recipe.Load("../../recipes/hello")
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(r.Dir) || r.Name != "hello" {
		t.Errorf("Name, Dir = %q, %q; want hello and an absolute dir", r.Name, r.Dir)
	}
}

func TestSmoke(t *testing.T) {
	s := func(v string) *string { return &v }
	tests := []struct {
		name  string
		smoke recipe.Smoke
		out   string
		want  bool
	}{
		{"no expectation matches anything", recipe.Smoke{}, "whatever", true},
		{"exact", recipe.Smoke{Stdout: s("hi\n")}, "hi\n", true},
		{"exact mismatch", recipe.Smoke{Stdout: s("hi\n")}, "hi", false},
		{"empty stdout expected", recipe.Smoke{Stdout: s("")}, "", true},
		{"empty stdout expected, got some", recipe.Smoke{Stdout: s("")}, "x", false},
		{"regexp", recipe.Smoke{StdoutRegexp: `\Auid=(0|\d+)\n\z`}, "uid=0\n", true},
		{"regexp mismatch", recipe.Smoke{StdoutRegexp: `\Auid=0\n\z`}, "uid=1\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.smoke.Matches(tt.out); got != tt.want {
				t.Errorf("Matches(%q) = %v, want %v", tt.out, got, tt.want)
			}
		})
	}
	for in, want := range map[string]time.Duration{
		"": 30 * time.Second, "2m": 2 * time.Minute, "bogus": 30 * time.Second, "-1s": 30 * time.Second,
	} {
		if got := (recipe.Smoke{Timeout: in}).TimeoutOrDefault(); got != want {
			t.Errorf("TimeoutOrDefault(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestSmokeStdin: what a run is fed on stdin, and the exact stdout a file
// holds, come from the recipe as loaded.
func TestSmokeStdin(t *testing.T) {
	const head = "language = \"c\"\nsources = [\"main.c\"]\n"
	for _, tc := range []struct {
		name, toml string
		stdin      []byte // nil: no stdin
		stdout     *string
	}{
		{"no stdin", head + "[smoke]\nstdout = \"x\"\n", nil, ptr("x")},
		{"stdin text", head + "[smoke]\nstdin = \"a\\nb\\n\"\n", []byte("a\nb\n"), nil},
		{"stdin_file", head + "[smoke]\nstdin_file = \"data/in.bin\"\nstdout_file = \"out.txt\"\n", []byte{0x1f, 0x8b, 0, 0xff}, ptr("expected\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeRecipe(t, "demo", map[string]string{"recipe.toml": tc.toml, "main.c": "", "data/in.bin": "\x1f\x8b\x00\xff", "out.txt": "expected\n"})
			r, err := recipe.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			in, err := r.Smoke.ReadStdin(r.Dir)
			if err != nil || !reflect.DeepEqual(in, tc.stdin) || r.Smoke.HasStdin() != (tc.stdin != nil) {
				t.Errorf("ReadStdin = %q, %v (HasStdin %v), want %q", in, err, r.Smoke.HasStdin(), tc.stdin)
			}
			out, err := r.Smoke.ReadStdout(r.Dir)
			if err != nil || (out == nil) != (tc.stdout == nil) || (out != nil && *out != *tc.stdout) {
				t.Errorf("ReadStdout = %v, %v, want %v", out, err, tc.stdout)
			}
		})
	}
	t.Run("a file gone after loading", func(t *testing.T) {
		dir := writeRecipe(t, "demo", map[string]string{"recipe.toml": head + "[smoke]\nstdin_file = \"in.txt\"\n", "main.c": "", "in.txt": ""})
		r, err := recipe.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(filepath.Join(dir, "in.txt"))
		_, err = r.Smoke.ReadStdin(r.Dir)
		if err == nil || !strings.Contains(err.Error(), "in.txt") || strings.Contains(err.Error(), dir) {
			t.Errorf("ReadStdin of a removed file = %v, want an error naming in.txt without the machine path", err)
		}
	})
}

func ptr(s string) *string { return &s }

// TestLoadErrors checks that every mistake in a recipe is reported with the
// file, the field and what is allowed.
func TestLoadErrors(t *testing.T) {
	const head = "language = \"c\"\nsources = [\"main.c\"]\n"
	outside := filepath.Join(t.TempDir(), "outside.c")
	if err := os.WriteFile(outside, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		toml  string
		files map[string]string // besides main.c
		setup func(t *testing.T, dir string)
		want  []string // substrings of the error besides the file name
	}{
		{
			name: "unknown top-level key",
			toml: head + "colour = \"red\"\n",
			want: []string{"colour", "unknown key", "allowed: description, language, sources"},
		},
		{
			name: "an empty file: every missing field at once",
			toml: "",
			want: []string{"language: missing", "sources: missing"},
		},
		{
			name: "unknown keys and missing fields at once",
			toml: "cflgas = []\n",
			want: []string{"cflgas: unknown key (did you mean cflags?)", "language: missing", "sources: missing"},
		},
		{
			name: "every unknown key, each with the key meant",
			toml: head + "cflgas = [\"-O2\"]\nstdout = \"x\"\n[smok]\nstdin = \"x\"\n",
			want: []string{"cflgas: unknown key (did you mean cflags?)", "stdout: unknown key (did you mean smoke.stdout?)",
				"smok: unknown key (did you mean smoke?)"},
		},
		{
			name: "unknown key in smoke",
			toml: head + "[smoke]\nstdn = \"x\"\n",
			want: []string{"smoke.stdn: unknown key (did you mean smoke.stdin?)"},
		},
		{
			name:  "stdin and stdin_file both set",
			toml:  head + "[smoke]\nstdin = \"x\"\nstdin_file = \"in.txt\"\n",
			files: map[string]string{"in.txt": "y"},
			want:  []string{"smoke.stdin_file: set either smoke.stdin (the text) or smoke.stdin_file (a file in the recipe folder), not both"},
		},
		{
			name: "stdin_file missing",
			toml: head + "[smoke]\nstdin_file = \"in.gz\"\n",
			want: []string{`smoke.stdin_file: "in.gz" does not exist in recipes/demo`, "allowed: a file inside recipes/demo"},
		},
		{
			name:  "stdin_file escapes",
			toml:  head + "[smoke]\nstdin_file = \"../in.txt\"\n",
			setup: func(t *testing.T, dir string) { writeFiles(t, filepath.Dir(dir), map[string]string{"in.txt": ""}) },
			want:  []string{`smoke.stdin_file: "../in.txt" escapes the recipe folder`, "allowed: a file inside recipes/demo"},
		},
		{
			name: "stdin_file is a symlink pointing outside",
			toml: head + "[smoke]\nstdin_file = \"in.txt\"\n",
			setup: func(t *testing.T, dir string) {
				if err := os.Symlink(outside, filepath.Join(dir, "in.txt")); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{`smoke.stdin_file: "in.txt" is a symlink that escapes the recipe folder`},
		},
		{
			name: "stdin_file absolute",
			toml: head + "[smoke]\nstdin_file = \"" + outside + "\"\n",
			want: []string{`smoke.stdin_file: "` + outside + `" must be a path relative to the recipe folder`},
		},
		{
			name:  "stdin_file is a directory",
			toml:  head + "[smoke]\nstdin_file = \"data\"\n",
			files: map[string]string{"data/a.txt": ""},
			want:  []string{`smoke.stdin_file: "data" is not a regular file`},
		},
		{
			name: "stdin not a string",
			toml: head + "[smoke]\nstdin = [\"x\"]\n",
			want: []string{"smoke.stdin", "string"},
		},
		{
			name: "stdout_file missing",
			toml: head + "[smoke]\nstdout_file = \"out.txt\"\n",
			want: []string{`smoke.stdout_file: "out.txt" does not exist in recipes/demo`},
		},
		{
			name:  "stdout and stdout_file both set",
			toml:  head + "[smoke]\nstdout = \"x\"\nstdout_file = \"out.txt\"\n",
			files: map[string]string{"out.txt": "x"},
			want:  []string{"smoke: set one of smoke.stdout, smoke.stdout_file and smoke.stdout_regexp, not several"},
		},
		{
			name: "unknown key in exclude",
			toml: head + "[[exclude]]\nplatfrom = \"linux/amd64\"\nreason = \"x\"\n",
			want: []string{"exclude.platfrom: unknown key (did you mean exclude.platform?)"},
		},
		{
			name: "unknown key in static library",
			toml: head + "[[static_libraries]]\nname = \"g\"\nsrcs = [\"main.c\"]\n",
			want: []string{"static_libraries.srcs: unknown key (allowed in [static_libraries]: name, sources)"},
		},
		{
			name: "missing language",
			toml: "sources = [\"main.c\"]\n",
			want: []string{"language: missing", "allowed: c, c++"},
		},
		{
			name: "bad language",
			toml: "language = \"rust\"\nsources = [\"main.c\"]\n",
			want: []string{`language: "rust" is not allowed`, "allowed: c, c++"},
		},
		{
			name: "missing sources",
			toml: "language = \"c\"\n",
			want: []string{"sources: missing", "at least one source file (or prebuilt)"},
		},
		{
			name: "source does not exist",
			toml: "language = \"c\"\nsources = [\"main.c\", \"nope.c\"]\n",
			want: []string{`sources[1]: "nope.c" does not exist in recipes/demo`},
		},
		{
			name:  "source escapes with ..",
			toml:  "language = \"c\"\nsources = [\"../x.c\"]\n",
			setup: func(t *testing.T, dir string) { writeFiles(t, filepath.Dir(dir), map[string]string{"x.c": ""}) },
			want:  []string{`sources[0]: "../x.c" escapes the recipe folder`, "must stay inside recipes/demo"},
		},
		{
			name:  "source escapes after cleaning",
			toml:  "language = \"c\"\nsources = [\"sub/../../x.c\"]\n",
			setup: func(t *testing.T, dir string) { writeFiles(t, filepath.Dir(dir), map[string]string{"x.c": ""}) },
			want:  []string{`sources[0]: "sub/../../x.c" escapes the recipe folder`},
		},
		{
			name: "source is a symlink pointing outside",
			toml: "language = \"c\"\nsources = [\"link.c\"]\n",
			setup: func(t *testing.T, dir string) {
				if err := os.Symlink(outside, filepath.Join(dir, "link.c")); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{`sources[0]: "link.c" is a symlink that escapes the recipe folder`, "must stay inside recipes/demo"},
		},
		{
			name: "absolute source",
			toml: "language = \"c\"\nsources = [\"" + outside + "\"]\n",
			want: []string{`sources[0]: "` + outside + `" must be a path relative to the recipe folder`},
		},
		{
			name:  "source is a directory",
			toml:  "language = \"c\"\nsources = [\"lib\"]\n",
			files: map[string]string{"lib/a.h": ""},
			want:  []string{`sources[0]: "lib" is not a regular file`},
		},
		{
			name:  "include dir escapes",
			toml:  head + "include_dirs = [\"../inc\"]\n",
			setup: func(t *testing.T, dir string) { writeFiles(t, filepath.Join(filepath.Dir(dir), "inc"), nil) },
			want:  []string{`include_dirs[0]: "../inc" escapes the recipe folder`},
		},
		{
			name: "include dir is a file",
			toml: head + "include_dirs = [\"main.c\"]\n",
			want: []string{`include_dirs[0]: "main.c" is not a directory`},
		},
		{
			name: "exclude platform unknown",
			toml: head + "[[exclude]]\nplatform = \"linux/sparc\"\nreason = \"x\"\n",
			want: []string{`exclude[0].platform: unknown platform "linux/sparc"`,
				"allowed: linux/amd64, linux/arm64, linux/arm/v7, linux/riscv64"},
		},
		{
			name: "exclude platform arm7",
			toml: head + "[[exclude]]\nplatform = \"arm7\"\nreason = \"x\"\n",
			want: []string{`exclude[0].platform: unknown platform "arm7"`, "allowed: linux/amd64"},
		},
		{
			// Exclusions compare platforms literally: a short or path form
			// would never match a cell, so only the OCI form is allowed.
			name: "exclude platform in short form",
			toml: head + "[[exclude]]\nplatform = \"amd64\"\nreason = \"x\"\n",
			want: []string{`exclude[0].platform: unknown platform "amd64"`, "allowed: linux/amd64"},
		},
		{
			name: "exclude platform in path form",
			toml: head + "[[exclude]]\nplatform = \"linux-arm-v7\"\nreason = \"x\"\n",
			want: []string{`exclude[0].platform: unknown platform "linux-arm-v7"`, "allowed: linux/amd64"},
		},
		{
			name: "exclude platform half path form",
			toml: head + "[[exclude]]\nplatform = \"linux/arm-v7\"\nreason = \"x\"\n",
			want: []string{`exclude[0].platform: unknown platform "linux/arm-v7"`, "allowed: linux/amd64"},
		},
		{
			name: "exclude linkage",
			toml: head + "[[exclude]]\nlinkage = \"shared\"\nreason = \"x\"\n",
			want: []string{`exclude[0].linkage: unknown linkage "shared"`, "allowed: static, dynamic"},
		},
		{
			name: "exclude without reason",
			toml: head + "[[exclude]]\ntoolchain = \"zig\"\n",
			want: []string{"exclude[0].reason: missing", "every exclusion says why"},
		},
		{
			name: "exclude with blank reason",
			toml: head + "[[exclude]]\ntoolchain = \"zig\"\nreason = \"  \"\n",
			want: []string{"exclude[0].reason: missing"},
		},
		{
			name: "stdout and stdout_regexp",
			toml: head + "[smoke]\nstdout = \"hi\\n\"\nstdout_regexp = \"hi\"\n",
			want: []string{"smoke: set one of smoke.stdout, smoke.stdout_file and smoke.stdout_regexp, not several"},
		},
		{
			name: "bad regexp",
			toml: head + "[smoke]\nstdout_regexp = \"(unclosed\"\n",
			want: []string{"smoke.stdout_regexp: not a valid Go regexp", "missing closing )"},
		},
		{
			name: "bad timeout",
			toml: head + "[smoke]\ntimeout = \"soon\"\n",
			want: []string{`smoke.timeout: "soon" is not a positive duration such as "30s"`},
		},
		{
			name: "negative timeout",
			toml: head + "[smoke]\ntimeout = \"-5s\"\n",
			want: []string{`smoke.timeout: "-5s" is not a positive duration`},
		},
		{
			name: "exit code too large",
			toml: head + "[smoke]\nexit_code = 256\n",
			want: []string{"smoke.exit_code: 256 is out of range (allowed: 0-255)"},
		},
		{
			name: "exit code negative",
			toml: head + "[smoke]\nexit_code = -1\n",
			want: []string{"smoke.exit_code: -1 is out of range (allowed: 0-255)"},
		},
		{
			name: "prebuilt and sources",
			toml: head + "prebuilt = \"" + outside + "\"\n",
			want: []string{"prebuilt: a recipe has either sources or prebuilt, not both"},
		},
		{
			name: "prebuilt relative",
			toml: "language = \"c\"\nprebuilt = \"bin/hello\"\n",
			want: []string{`prebuilt: "bin/hello" must be an absolute path to an ELF file on this machine`},
		},
		{
			name: "prebuilt missing",
			toml: "language = \"c\"\nprebuilt = \"/nonexistent/hello\"\n",
			want: []string{`prebuilt: "/nonexistent/hello" is not a regular file on this machine`},
		},
		{
			name: "static library without sources",
			toml: head + "[[static_libraries]]\nname = \"geometry\"\n",
			want: []string{"static_libraries[0].sources: missing", "at least one source file"},
		},
		{
			name: "static library bad name",
			toml: head + "[[static_libraries]]\nname = \"Geo metry\"\nsources = [\"main.c\"]\n",
			want: []string{`static_libraries[0].name: "Geo metry" is not allowed`, "lower-case letters, digits"},
		},
		{
			name: "static library source escapes",
			toml: head + "[[static_libraries]]\nname = \"g\"\nsources = [\"main.c\", \"../g.c\"]\n",
			want: []string{`static_libraries[0].sources[1]: "../g.c" escapes the recipe folder`},
		},
		{
			name: "library given as -lm",
			toml: head + "libraries = [\"-lm\"]\n",
			want: []string{`libraries[0]: "-lm": give the bare library name, as in "m" for -lm`},
		},
		{
			name: "library given as a path",
			toml: head + "libraries = [\"m\", \"/usr/lib/libz.a\"]\n",
			want: []string{`libraries[1]: "/usr/lib/libz.a": give the bare library name`},
		},
		{
			name: "wrong type",
			toml: "language = \"c\"\nsources = \"main.c\"\n",
			want: []string{"reading recipe", "sources"},
		},
		{
			name: "toml syntax",
			toml: "language = c\n",
			want: []string{"reading recipe"},
		},
		{
			name: "a named pipe and a socket in the folder",
			toml: head,
			setup: func(t *testing.T, dir string) {
				if err := syscall.Mkfifo(filepath.Join(dir, "pipe.h"), 0o644); err != nil {
					t.Fatal(err)
				}
				l, err := net.Listen("unix", filepath.Join(dir, "sock"))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { l.Close() })
			},
			want: []string{"pipe.h: a named pipe in the recipe folder (allowed: regular files, folders and symlinks",
				"sock: a socket in the recipe folder"},
		},
		{
			name: "recipe.toml is a named pipe",
			toml: head,
			setup: func(t *testing.T, dir string) {
				os.Remove(filepath.Join(dir, recipe.FileName))
				if err := syscall.Mkfifo(filepath.Join(dir, recipe.FileName), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"it is a named pipe, not a regular file"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"recipe.toml": tt.toml, "main.c": "int main(void) { return 0; }\n"}
			for k, v := range tt.files {
				files[k] = v
			}
			dir := writeRecipe(t, "demo", files)
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			r, err := recipe.Load(dir)
			if err == nil {
				t.Fatalf("Load = %+v, want an error", r)
			}
			msg := err.Error()
			if file := filepath.Join("demo", recipe.FileName); !strings.Contains(msg, file) {
				t.Errorf("error %q does not name the file %s", msg, file)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestLoadFieldErrorsAreTyped(t *testing.T) {
	dir := writeRecipe(t, "demo", map[string]string{"recipe.toml": "libraries = [\"-lm\"]\n"})
	_, err := recipe.Load(dir)
	var fe *recipe.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("Load error %v is not a *FieldError", err)
	}
	// Every problem is reported at once, not only the first.
	for _, field := range []string{"language", "sources", "libraries[0]"} {
		if !strings.Contains(err.Error(), "demo/recipe.toml: "+field+": ") {
			t.Errorf("error %q does not report %s", err, field)
		}
	}
}

func TestLoadBadFolderName(t *testing.T) {
	dir := writeRecipe(t, "Hello World", map[string]string{
		"recipe.toml": "language = \"c\"\nsources = [\"main.c\"]\n", "main.c": "",
	})
	_, err := recipe.Load(dir)
	if err == nil || !strings.Contains(err.Error(), `Hello World/recipe.toml: name: folder name "Hello World" is not allowed`) {
		t.Errorf("Load = %v, want a name error", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	dir := writeRecipe(t, "empty", nil)
	_, err := recipe.Load(dir)
	if err == nil || !strings.Contains(err.Error(), "empty/recipe.toml") {
		t.Errorf("Load = %v, want an error naming empty/recipe.toml", err)
	}
}

func TestLoadAllRecipes(t *testing.T) {
	rs, err := recipe.LoadAll("../../recipes")
	if err != nil {
		t.Fatalf("LoadAll: %v", err)
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.Name)
		if r.Smoke.Stdout == nil && r.Smoke.StdoutFile == "" && r.Smoke.StdoutRegexp == "" && !r.IsLibrary() {
			t.Errorf("recipe %s has no smoke expectation (stdout, stdout_file or stdout_regexp)", r.Name)
		}
		if !filepath.IsAbs(r.Dir) {
			t.Errorf("recipe %s: Dir %q is not absolute", r.Name, r.Dir)
		}
		if r.Description == "" {
			t.Errorf("recipe %s has no description", r.Name)
		}
	}
	// Every folder of recipes/ holding a recipe.toml, in name order: a
	// new recipe needs no edit here.
	entries, err := os.ReadDir("../../recipes")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join("../../recipes", e.Name(), recipe.FileName)); err == nil {
			want = append(want, e.Name())
		}
	}
	if len(want) < 6 || !reflect.DeepEqual(names, want) {
		t.Errorf("LoadAll names = %v, want %v", names, want)
	}
	for _, r := range rs {
		if r.Name == "hello" && !r.Smoke.Matches("Hello My Container! \n") {
			t.Errorf("hello smoke does not match its own greeting")
		}
	}
}

func TestLoadAllJoinsErrors(t *testing.T) {
	root := t.TempDir()
	good := "language = \"c\"\nsources = [\"main.c\"]\n"
	writeFiles(t, filepath.Join(root, "beta"), map[string]string{"recipe.toml": good, "main.c": ""})
	writeFiles(t, filepath.Join(root, "alpha"), map[string]string{"recipe.toml": good, "main.c": ""})
	writeFiles(t, filepath.Join(root, "broken1"), map[string]string{"recipe.toml": "sources = [\"main.c\"]\n", "main.c": ""})
	writeFiles(t, filepath.Join(root, "broken2"), map[string]string{"recipe.toml": "language = \"c\"\nsources = [\"gone.c\"]\n"})
	// Neither a folder without recipe.toml nor a plain file is a recipe.
	writeFiles(t, filepath.Join(root, "notes"), map[string]string{"README.md": ""})
	writeFiles(t, root, map[string]string{"README.md": ""})

	rs, err := recipe.LoadAll(root)
	if err == nil {
		t.Fatal("LoadAll: no error, want the errors of broken1 and broken2")
	}
	for _, w := range []string{"broken1/recipe.toml: language: missing", `broken2/recipe.toml: sources[0]: "gone.c" does not exist`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("LoadAll error %q does not contain %q", err, w)
		}
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.Name)
	}
	if want := []string{"alpha", "beta"}; !reflect.DeepEqual(names, want) {
		t.Errorf("LoadAll loaded %v, want %v", names, want)
	}
}

func TestLoadAllMissingRoot(t *testing.T) {
	if _, err := recipe.LoadAll(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("LoadAll of a missing dir: no error")
	}
}

func TestExcluded(t *testing.T) {
	r := &recipe.Recipe{Exclude: []recipe.Exclude{
		{Toolchain: "musl-gcc", Reason: "C only"},
		{Platform: "linux/riscv64", Linkage: "dynamic", Reason: "no riscv64 runtime"},
		{Platform: "linux/arm/v7", Toolchain: "zig", Linkage: "static", Reason: "zig arm static"},
	}}
	tests := []struct {
		p          recipe.Platform
		tc         string
		l          recipe.Linkage
		wantReason string
		want       bool
	}{
		{recipe.AMD64, "musl-gcc", recipe.Static, "C only", true},
		{recipe.ARM64, "musl-gcc", recipe.Dynamic, "C only", true},
		{recipe.AMD64, "gcc", recipe.Static, "", false},
		{recipe.RISCV64, "gcc", recipe.Dynamic, "no riscv64 runtime", true},
		{recipe.RISCV64, "zig", recipe.Dynamic, "no riscv64 runtime", true},
		{recipe.RISCV64, "gcc", recipe.Static, "", false},
		{recipe.ARMv7, "zig", recipe.Static, "zig arm static", true},
		{recipe.ARMv7, "zig", recipe.Dynamic, "", false},
		{recipe.ARMv7, "gcc", recipe.Static, "", false},
		{recipe.ARM64, "zig", recipe.Static, "", false},
	}
	for _, tt := range tests {
		reason, ok := r.Excluded(tt.p, tt.tc, tt.l)
		if ok != tt.want || reason != tt.wantReason {
			t.Errorf("Excluded(%s, %s, %s) = %q, %v; want %q, %v", tt.p, tt.tc, tt.l, reason, ok, tt.wantReason, tt.want)
		}
	}
	if _, ok := (&recipe.Recipe{}).Excluded(recipe.AMD64, "gcc", recipe.Static); ok {
		t.Error("a recipe without exclusions excludes a cell")
	}
}

func TestParsePlatform(t *testing.T) {
	good := map[string]recipe.Platform{
		"linux/amd64":   recipe.AMD64,
		"linux/arm64":   recipe.ARM64,
		"linux/arm/v7":  recipe.ARMv7,
		"linux/riscv64": recipe.RISCV64,
		"linux-arm-v7":  recipe.ARMv7,
		"linux-amd64":   recipe.AMD64,
		"arm/v7":        recipe.ARMv7,
		"arm-v7":        recipe.ARMv7,
		"amd64":         recipe.AMD64,
		"arm64":         recipe.ARM64,
		"riscv64":       recipe.RISCV64,
		"386":           recipe.I386,
		"linux/arm/v6":  recipe.ARMv6,
		"arm-v6":        recipe.ARMv6,
		"ppc64le":       recipe.PPC64LE,
		"linux/s390x":   recipe.S390X,
		"mips64le":      recipe.MIPS64LE,
	}
	for in, want := range good {
		got, err := recipe.ParsePlatform(in)
		if err != nil || got != want {
			t.Errorf("ParsePlatform(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"arm7", "i386", "", "linux", "linux/arm", "windows/amd64", "Linux/amd64", "linux/arm/v5", "mips64el", "all"} {
		got, err := recipe.ParsePlatform(in)
		if err == nil {
			t.Errorf("ParsePlatform(%q) = %q, want an error", in, got)
			continue
		}
		if !strings.Contains(err.Error(), "allowed: linux/amd64, linux/arm64, linux/arm/v7, linux/riscv64, linux/386, linux/arm/v6, linux/ppc64le, linux/s390x, linux/mips64le") {
			t.Errorf("ParsePlatform(%q) error %q does not list the allowed platforms", in, err)
		}
	}
}

func TestPlatform(t *testing.T) {
	tests := []struct {
		p         recipe.Platform
		dir, arch string
		index     int
	}{
		{recipe.AMD64, "linux-amd64", "amd64", 0},
		{recipe.ARM64, "linux-arm64", "arm64", 1},
		{recipe.ARMv7, "linux-arm-v7", "arm-v7", 2},
		{recipe.RISCV64, "linux-riscv64", "riscv64", 3},
		{"linux/sparc", "linux-sparc", "sparc", -1},
	}
	for _, tt := range tests {
		if got := tt.p.Dir(); got != tt.dir {
			t.Errorf("%s.Dir() = %q, want %q", tt.p, got, tt.dir)
		}
		if got := tt.p.Arch(); got != tt.arch {
			t.Errorf("%s.Arch() = %q, want %q", tt.p, got, tt.arch)
		}
		if got := tt.p.Index(); got != tt.index {
			t.Errorf("%s.Index() = %d, want %d", tt.p, got, tt.index)
		}
		// Dir round-trips through ParsePlatform.
		if tt.index >= 0 {
			if back, err := recipe.ParsePlatform(tt.p.Dir()); err != nil || back != tt.p {
				t.Errorf("ParsePlatform(%q) = %q, %v; want %q", tt.p.Dir(), back, err, tt.p)
			}
		}
	}
}

func TestParseLinkage(t *testing.T) {
	for _, l := range recipe.Linkages {
		if got, err := recipe.ParseLinkage(string(l)); err != nil || got != l {
			t.Errorf("ParseLinkage(%q) = %q, %v", l, got, err)
		}
	}
	for _, in := range []string{"", "Static", "shared", "static-pie"} {
		if _, err := recipe.ParseLinkage(in); err == nil || !strings.Contains(err.Error(), "allowed: static, dynamic") {
			t.Errorf("ParseLinkage(%q) = %v, want an error listing static, dynamic", in, err)
		}
	}
}

func TestCell(t *testing.T) {
	c := recipe.Cell{Recipe: "hello", Platform: recipe.ARM64, Toolchain: "gcc", Linkage: recipe.Static}
	if got, want := c.Variant(), "gcc-static"; got != want {
		t.Errorf("Variant() = %q, want %q", got, want)
	}
	if got, want := c.String(), "hello linux/arm64 gcc-static"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestCellLess(t *testing.T) {
	cell := func(r string, p recipe.Platform, tc string, l recipe.Linkage) recipe.Cell {
		return recipe.Cell{Recipe: r, Platform: p, Toolchain: tc, Linkage: l}
	}
	// In order: recipe, then platform in matrix order (not alphabetical:
	// arm/v7 sorts after arm64), then toolchain, then linkage.
	ordered := []recipe.Cell{
		cell("hello", recipe.AMD64, "gcc", recipe.Dynamic),
		cell("hello", recipe.AMD64, "gcc", recipe.Static),
		cell("hello", recipe.AMD64, "zig", recipe.Dynamic),
		cell("hello", recipe.ARM64, "gcc", recipe.Dynamic),
		cell("hello", recipe.ARMv7, "gcc", recipe.Static),
		cell("hello", recipe.RISCV64, "gcc", recipe.Dynamic),
		cell("multifile", recipe.AMD64, "gcc", recipe.Dynamic),
	}
	for i := range ordered {
		for j := range ordered {
			if got, want := ordered[i].Less(ordered[j]), i < j; got != want {
				t.Errorf("(%s).Less(%s) = %v, want %v", ordered[i], ordered[j], got, want)
			}
		}
	}
}

func TestInputs(t *testing.T) {
	dir := writeRecipe(t, "calc", map[string]string{
		"recipe.toml": `
language = "c"
sources = ["./main.c", "src/report.c"]
include_dirs = ["include"]

[[static_libraries]]
name = "geometry"
sources = ["lib/area.c"]
`,
		"main.c":                "",
		"src/report.c":          "",
		"src/report.h":          "",
		"lib/area.c":            "",
		"lib/geometry.h":        "",
		"include/deep/more.hpp": "",
		"include/table.def":     "", // #included from an include dir: an input too
		"include/x.inc":         "",
		"unused.c":              "",
		"README.md":             "",
		"docs/notes.txt":        "",
	})
	r, err := recipe.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Inputs()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"include/deep/more.hpp",
		"include/table.def",
		"include/x.inc",
		"lib/area.c",
		"lib/geometry.h",
		"main.c",
		"recipe.toml",
		"src/report.c",
		"src/report.h",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Inputs() =\n%q\nwant\n%q", got, want)
	}
}

func TestInputsRealRecipe(t *testing.T) {
	r, err := recipe.Load("../../recipes/multifile")
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Inputs()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"lib/area.c", "lib/geometry.h", "lib/perimeter.c", "main.c", "recipe.toml", "report.c", "report.h"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Inputs() = %q, want %q", got, want)
	}
}

// A pinned source's vendored tarball is no input: the key holds its pin,
// which the file must match to be used. Nor are the smoke run's files: the
// smoke key holds them, and the binary does not depend on them.
func TestInputsVendored(t *testing.T) {
	r, err := recipe.Load("../../recipes/pigz")
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Inputs()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"recipe.toml"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Inputs() = %q, want %q", got, want)
	}
	for _, f := range []string{"pigz_2.6.orig.tar.xz", r.Smoke.StdinFile, r.Smoke.StdoutFile} {
		if _, err := os.Stat(filepath.Join(r.Dir, f)); err != nil {
			t.Errorf("recipes/pigz lacks %s: %v", f, err)
		}
	}
}
