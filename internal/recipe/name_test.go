package recipe_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// dockerComponent is a path component of a docker image reference, as the
// distribution project's reference grammar defines it.
var dockerComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$`)

func TestValidName(t *testing.T) {
	for _, tc := range []struct {
		name string
		why  string // "" when valid, else a substring of the error
	}{
		{"hello", ""},
		{"a", ""},
		{"0", ""},
		{"lua5.4", ""},
		{"hello_world", ""},
		{"hello__world", ""},
		{"hello-world", ""},
		{"hello---world", ""},
		{strings.Repeat("a", 64), ""},
		{"", "it is empty"},
		{"hello-", `it ends with "-"`},
		{"hello.", `it ends with "."`},
		{"-hello", `it starts with "-"`},
		{"_hello", `it starts with "_"`},
		{"Hello", `upper-case letter 'H'`},
		{"hello world", `it has ' ' at byte 5`},
		{"g++", `it has '+' at byte 1`},
		{"a/b", `it has '/' at byte 1`},
		{"héllo", `it has 'é' at byte 1`},
		{"a___b", `it has the separator "___"`},
		{"a..b", `it has the separator ".."`},
		{"a._b", `it has the separator "._"`},
		{"a-_b", `it has the separator "-_"`},
		{strings.Repeat("a", 65), "it is 65 bytes long"},
		{strings.Repeat("a", 112), "it is 112 bytes long"},
	} {
		err := recipe.ValidName(tc.name)
		if tc.why == "" {
			if err != nil {
				t.Errorf("ValidName(%q) = %v, want nil", tc.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("ValidName(%q) = nil, want an error saying %q", tc.name, tc.why)
			continue
		}
		for _, want := range []string{tc.why, `recipe name "` + tc.name + `" is not allowed`, recipe.NameRule} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("ValidName(%q) = %q, want it to contain %q", tc.name, err, want)
			}
		}
	}
}

// allStrings calls f with every string of up to n bytes over alphabet.
func allStrings(alphabet string, n int, f func(string)) {
	var rec func(prefix string)
	rec = func(prefix string) {
		f(prefix)
		if len(prefix) == n {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			rec(prefix + alphabet[i:i+1])
		}
	}
	rec("")
}

// ValidName is exactly docker's reference component rule plus the length
// limit, checked on every short string over letters, digits, separators and
// characters the rule forbids.
func TestValidNameIsTheReferenceRule(t *testing.T) {
	allStrings("a1._-A +", 5, func(s string) {
		if got, want := recipe.ValidName(s) == nil, dockerComponent.MatchString(s); got != want {
			t.Errorf("ValidName(%q) accepts %v, docker's reference grammar %v", s, got, want)
		}
	})
}

func TestImageName(t *testing.T) {
	for _, tc := range []struct{ base, want string }{
		{"hello", "hello"},
		{"Hello World", "hello-world"},
		{"g++", "g"},
		{"c++filt", "c-filt"},
		{"hello---world", "hello---world"},
		{"libfoo.so.1", "libfoo.so.1"},
		{"x86_64-app", "x86_64-app"},
		{"__init__", "init"},
		{"a...b", "a-b"},
		{"a___b", "a-b"},
		{"a__b", "a__b"},
		{"a - b", "a-b"},
		{"-v", "v"},
		{"hello-", "hello"},
		{"Ünïcode", "n-code"},
		{strings.Repeat("a", 100), strings.Repeat("a", 64)},
		{strings.Repeat("a", 63) + "-b", strings.Repeat("a", 63)},
	} {
		got, err := recipe.ImageName(tc.base)
		if err != nil || got != tc.want {
			t.Errorf("ImageName(%q) = %q, %v; want %q", tc.base, got, err, tc.want)
		}
	}
	for _, base := range []string{"", "+++", "...", "日本"} {
		if got, err := recipe.ImageName(base); err == nil || !strings.Contains(err.Error(), "no letter or digit") {
			t.Errorf("ImageName(%q) = %q, %v; want an error saying there is no letter or digit", base, got, err)
		}
	}
}

// Whatever the input, ImageName gives a valid name or an error, and a valid
// name maps to itself.
func TestImageNameIsValid(t *testing.T) {
	allStrings("a1._-A +", 5, func(s string) {
		got, err := recipe.ImageName(s)
		if err != nil {
			if strings.ContainsAny(s, "a1A") {
				t.Errorf("ImageName(%q) = %v, but it has a letter or digit", s, err)
			}
			return
		}
		if err := recipe.ValidName(got); err != nil {
			t.Errorf("ImageName(%q) = %q, which is not valid: %v", s, got, err)
		}
		if recipe.ValidName(s) == nil && got != s {
			t.Errorf("ImageName(%q) = %q, want the valid name unchanged", s, got)
		}
	})
}

func TestLoadNameRule(t *testing.T) {
	const toml = "language = \"c\"\nsources = [\"main.c\"]\n"
	for _, tc := range []struct{ folder, why string }{
		{"hello-", `it ends with "-"`},
		{strings.Repeat("x", 112), "it is 112 bytes long"},
		{"a..b", `it has the separator ".."`},
		{"g++", `it has '+' at byte 1`},
	} {
		dir := writeRecipe(t, tc.folder, map[string]string{"recipe.toml": toml, "main.c": ""})
		_, err := recipe.Load(dir)
		var fe *recipe.FieldError
		if !errors.As(err, &fe) {
			t.Fatalf("Load(%s) = %v, want a *FieldError", tc.folder, err)
		}
		for _, want := range []string{
			tc.folder + "/recipe.toml: name: folder name \"" + tc.folder + "\" is not allowed: " + tc.why,
			"(allowed: " + recipe.NameRule + ")",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Load(%s) = %q, want it to contain %q", tc.folder, err, want)
			}
		}
	}
	for _, folder := range []string{"a__b", "lua5.4", strings.Repeat("x", 64)} {
		dir := writeRecipe(t, folder, map[string]string{"recipe.toml": toml, "main.c": ""})
		if _, err := recipe.Load(dir); err != nil {
			t.Errorf("Load(%s) = %v, want it accepted", folder, err)
		}
	}
}

func TestCheckToolchains(t *testing.T) {
	dir := writeRecipe(t, "demo", map[string]string{
		"main.c": "",
		"recipe.toml": `language = "c"
sources = ["main.c"]

[[exclude]]
toolchain = "gcc"
reason = "known"

[[exclude]]
platform = "linux/riscv64"
reason = "every toolchain"

[[exclude]]
toolchain = "clang"
reason = "typo or not a toolchain of the project"

[[exclude]]
toolchain = "Zig"
reason = "names are case-sensitive"
`,
	})
	r, err := recipe.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	known := []string{"zig", "musl-gcc", "gcc"}
	err = r.CheckToolchains(known)
	var fe *recipe.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("CheckToolchains = %v, want a *FieldError", err)
	}
	if !strings.HasSuffix(fe.File, "/demo/recipe.toml") || fe.Field != "exclude[2].toolchain" {
		t.Errorf("first error in %s field %s, want demo/recipe.toml exclude[2].toolchain", fe.File, fe.Field)
	}
	for _, want := range []string{
		`demo/recipe.toml: exclude[2].toolchain: unknown toolchain "clang" (allowed: gcc, musl-gcc, zig)`,
		`demo/recipe.toml: exclude[3].toolchain: unknown toolchain "Zig" (allowed: gcc, musl-gcc, zig)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("CheckToolchains = %q, want it to contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "exclude[0]") || strings.Contains(err.Error(), "exclude[1]") {
		t.Errorf("CheckToolchains = %q, want no error for known or empty toolchains", err)
	}
	if known[0] != "zig" {
		t.Errorf("CheckToolchains sorted the caller's slice: %q", known)
	}
	if err := r.CheckToolchains([]string{"gcc", "clang", "Zig"}); err != nil {
		t.Errorf("CheckToolchains with every name known = %v, want nil", err)
	}
	// A Recipe built in code, without Load, is named by its Name.
	err = (&recipe.Recipe{Name: "x", Exclude: []recipe.Exclude{{Toolchain: "tcc"}}}).CheckToolchains(known)
	if err == nil || !strings.HasPrefix(err.Error(), "recipes/x/recipe.toml: exclude[0].toolchain: ") {
		t.Errorf("CheckToolchains without Dir = %v, want it to name recipes/x/recipe.toml", err)
	}
}
