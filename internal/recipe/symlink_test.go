package recipe_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// symlinkRecipe is a recipe folder demo with main.c and local.h, next to
// shared/msg.h outside it; links maps link names inside the folder to
// their targets.
func symlinkRecipe(t *testing.T, toml string, links map[string]string) string {
	t.Helper()
	dir := writeRecipe(t, "demo", map[string]string{
		"recipe.toml":  toml,
		"main.c":       "#include \"msg.h\"\n",
		"local.h":      "",
		"sub/deep.h":   "",
		"sub/data.txt": "",
	})
	writeFiles(t, filepath.Join(filepath.Dir(dir), "shared"), map[string]string{"msg.h": "", "more.h": ""})
	for link, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const plainToml = "language = \"c\"\nsources = [\"main.c\"]\n"

func TestLoadRefusesSymlinksOut(t *testing.T) {
	tests := []struct {
		name  string
		toml  string
		links map[string]string
		want  []string // error substrings; none: loads
	}{
		{name: "header symlink to ../shared", links: map[string]string{"msg.h": "../shared/msg.h"},
			want: []string{"demo/recipe.toml: msg.h: symlink to ", "/shared/msg.h, outside the recipe folder",
				"allowed: symlinks to files and folders inside recipes/demo; copy the file into the folder instead"}},
		{name: "absolute symlink", links: map[string]string{"msg.h": "/etc/hostname"},
			want: []string{"msg.h: symlink to /etc/hostname, outside the recipe folder"}},
		{name: "folder symlink out", links: map[string]string{"vendor": "../shared"},
			want: []string{"recipe.toml: vendor: symlink to "}},
		{name: "any file, not only headers", links: map[string]string{"table.txt": "../shared/msg.h"},
			want: []string{"table.txt: symlink to "}},
		{name: "symlinks inside", links: map[string]string{"msg.h": "local.h", "inc": "sub", "up.h": "sub/../local.h"}},
		{name: "dangling symlink (an editor's lock file)", links: map[string]string{".#main.c": "user@host.1234:1700000000"}},
		{name: "a source that links out is reported once, by sources", toml: "language = \"c\"\nsources = [\"link.c\"]\n",
			links: map[string]string{"link.c": "../shared/msg.h"},
			want:  []string{`sources[0]: "link.c" is a symlink that escapes the recipe folder`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toml := tt.toml
			if toml == "" {
				toml = plainToml
			}
			dir := symlinkRecipe(t, toml, tt.links)
			_, err := recipe.Load(dir)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Load: no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load error\n%v\nlacks %q", err, w)
				}
			}
			var fe *recipe.FieldError
			if !errors.As(err, &fe) {
				t.Errorf("Load error %v is no *FieldError", err)
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != 1 {
				t.Errorf("Load reports %d errors, want 1:\n%v", n, err)
			}
		})
	}
}

func TestInputsSymlinks(t *testing.T) {
	dir := symlinkRecipe(t, plainToml, map[string]string{
		"msg.h":    "local.h",      // listed under its own name: retargeting it changes the key
		"inc":      "sub",          // a folder link: its files are listed under sub/
		"lock.h":   "nowhere.h",    // dangling: no input
		"table.h2": "sub/data.txt", // not a header name: no input
	})
	r, err := recipe.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Inputs()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"local.h", "main.c", "msg.h", "recipe.toml", "sub/deep.h"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Inputs() = %q, want %q", got, want)
	}
	// A link pointed out of the folder after Load is an error, never followed.
	if err := os.Remove(filepath.Join(dir, "msg.h")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../shared/msg.h", filepath.Join(dir, "msg.h")); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Inputs(); err == nil || !strings.Contains(err.Error(), "msg.h: symlink to ") {
		t.Errorf("Inputs() with a link out = %q, %v; want an error naming msg.h", got, err)
	}
}
