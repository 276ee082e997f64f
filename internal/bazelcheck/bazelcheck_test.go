package bazelcheck

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/toolchain"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// repoRoot is the repository these tests stand in.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := workspace.Root(func(string) string { return "" }, ".", "")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// copyRepo copies the repository, less .git and the generated folders, to a
// temporary directory: a checkout to make stale.
func copyRepo(t *testing.T) string {
	t.Helper()
	src, dst := repoRoot(t), t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() && rel != "." && slices.Contains(skipped, d.Name()) {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// wantErr fails unless err is an error containing every part.
func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error does not contain %q:\n%v", p, err)
		}
	}
}

func TestCheck(t *testing.T) {
	var out bytes.Buffer
	if err := Check(t.Context(), repoRoot(t), toolchain.Exec, os.Environ(), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, s := range steps {
		if !strings.Contains(out.String(), "ok   "+s.name+"\n") {
			t.Errorf("output has no ok line for %s:\n%s", s.name, out.String())
		}
	}
}

func TestBuildFilesStale(t *testing.T) {
	t.Run("new package", func(t *testing.T) {
		root := copyRepo(t)
		write(t, filepath.Join(root, "internal", "extra", "extra.go"), "package extra\n\nimport \"golang.org/x/sync/errgroup\"\n\nvar G errgroup.Group\n")
		err := BuildFiles(t.Context(), root, toolchain.Exec, os.Environ())
		wantErr(t, err, "gazelle would change internal/extra/BUILD.bazel", "@org_golang_x_sync//errgroup", "go tool gazelle")
	})
	t.Run("new import", func(t *testing.T) {
		root := copyRepo(t)
		write(t, filepath.Join(root, "internal", "recipe", "extra.go"), "package recipe\n\nimport \"golang.org/x/sync/errgroup\"\n\nvar g errgroup.Group\n")
		err := BuildFiles(t.Context(), root, toolchain.Exec, os.Environ())
		wantErr(t, err, "gazelle would change internal/recipe/BUILD.bazel", "extra.go")
	})
}

func TestDepsStale(t *testing.T) {
	root := copyRepo(t)
	p := filepath.Join(root, "deps.bzl")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	stale := strings.Replace(string(b), `version = "v1.6.0"`, `version = "v1.5.0"`, 1)
	if stale == string(b) {
		t.Fatal("deps.bzl has no module at v1.6.0 to make stale")
	}
	write(t, p, stale)
	wantErr(t, Deps(t.Context(), root, toolchain.Exec, os.Environ()), "deps.bzl differs", "update-repos")
}

func TestBuildifierFindings(t *testing.T) {
	root := copyRepo(t)
	write(t, filepath.Join(root, "tools", "BUILD.bazel"), "filegroup(name='x',srcs=glob(['*']))\n")
	wantErr(t, Buildifier(t.Context(), root, toolchain.Exec, os.Environ()), "tools/BUILD.bazel")
}

func TestActionlintFindings(t *testing.T) {
	root := copyRepo(t)
	write(t, filepath.Join(root, ".github", "workflows", "broken.yml"),
		"on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nosuchthing }}\n")
	wantErr(t, Actionlint(t.Context(), root, toolchain.Exec, os.Environ()), ".github/workflows/broken.yml")
}

func TestStarlarkFiles(t *testing.T) {
	root := copyRepo(t)
	write(t, filepath.Join(root, "out", "BUILD.bazel"), "")
	write(t, filepath.Join(root, "tools", "defs.bzl"), "")
	files, err := StarlarkFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"BUILD.bazel", "MODULE.bazel", "WORKSPACE", "deps.bzl", "internal/workspace/BUILD.bazel", "tools/defs.bzl"} {
		if !slices.Contains(files, want) {
			t.Errorf("StarlarkFiles lacks %s: %q", want, files)
		}
	}
	if slices.Contains(files, "out/BUILD.bazel") {
		t.Errorf("StarlarkFiles lists out/BUILD.bazel: %q", files)
	}
}

func TestCheckRunsTheToolsFromRoot(t *testing.T) {
	// A runner that fails everything: Check still runs every step, and
	// reports each failure.
	root := repoRoot(t)
	var ran []string
	run := func(_ context.Context, c toolchain.Command, env []string) ([]byte, error) {
		if c.Dir != root {
			t.Errorf("%q runs in %s, want %s", c.Args, c.Dir, root)
		}
		if !slices.Equal(env, []string{"PATH=/x"}) {
			t.Errorf("%q gets env %q", c.Args, env)
		}
		ran = append(ran, strings.Join(c.Args[:3], " "))
		return []byte("tool output"), errors.New("exit status 1")
	}
	var out bytes.Buffer
	err := Check(t.Context(), root, run, []string{"PATH=/x"}, &out)
	wantErr(t, err, "gazelle -mode=diff: exit status 1: tool output", "gazelle update-repos: exit status 1", "buildifier", "actionlint: exit status 1")
	want := []string{"go tool gazelle", "go tool gazelle", "go tool buildifier", "go tool actionlint"}
	if !slices.Equal(ran, want) {
		t.Errorf("ran %q, want %q", ran, want)
	}
	if got := out.String(); got != "ok   versions\nFAIL gazelle\nFAIL gazelle update-repos\nFAIL buildifier\nFAIL actionlint\n" {
		t.Errorf("output:\n%s", got)
	}
}

func TestCompareVersions(t *testing.T) {
	real, err := ReadFiles(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := CompareVersions(real); err != nil {
		t.Fatalf("the repository's files: %v", err)
	}
	edit := func(b []byte, old, new string) []byte {
		t.Helper()
		if !bytes.Contains(b, []byte(old)) {
			t.Fatalf("no %q to replace", old)
		}
		return bytes.Replace(b, []byte(old), []byte(new), 1)
	}
	for _, tt := range []struct {
		name string
		edit func(f *Files)
		want []string
	}{
		{"rules_go in MODULE.bazel", func(f *Files) {
			f.Module = edit(f.Module, `version = "0.65.0"`, `version = "0.64.0"`)
		}, []string{"rules_go: go.mod has 0.65.0, MODULE.bazel 0.64.0, WORKSPACE 0.65.0, 0.65.0"}},
		{"rules_go in one WORKSPACE URL", func(f *Files) {
			f.Workspace = edit(f.Workspace, "download/v0.65.0/", "download/v0.64.0/")
		}, []string{"rules_go: go.mod has 0.65.0, MODULE.bazel 0.65.0, WORKSPACE 0.64.0, 0.65.0"}},
		{"rules_go in go.mod", func(f *Files) {
			f.GoMod = edit(f.GoMod, "rules_go v0.65.0", "rules_go v0.66.0")
		}, []string{"rules_go: go.mod has 0.66.0"}},
		{"gazelle in MODULE.bazel", func(f *Files) {
			f.Module = edit(f.Module, `name = "gazelle", version = "0.53.0"`, `name = "gazelle", version = "0.54.0"`)
		}, []string{"gazelle: go.mod has 0.53.0, MODULE.bazel 0.54.0"}},
		{"no rules_go in WORKSPACE", func(f *Files) {
			f.Workspace = edit(f.Workspace, `name = "io_bazel_rules_go"`, `name = "other"`)
		}, []string{"rules_go: github.com/bazelbuild/rules_go is not in WORKSPACE"}},
		{"Go in WORKSPACE", func(f *Files) {
			f.Workspace = edit(f.Workspace, `go_register_toolchains(version = "1.26.0")`, `go_register_toolchains(version = "1.25.0")`)
		}, []string{`WORKSPACE registers Go "1.25.0", go.mod asks for "1.26.0"`}},
		{"go.mod toolchain line", func(f *Files) {
			f.GoMod = edit(f.GoMod, "go 1.26.0\n", "go 1.26.0\n\ntoolchain go1.26.8\n")
		}, []string{`go.mod asks for "1.26.8"`}},
		{"use_repo missing a module", func(f *Files) {
			f.Module = edit(f.Module, "    \"org_golang_x_term\",\n", "")
		}, []string{"use_repo(go_deps, ...) lists", "are com_github_bazelbuild_buildtools"}},
		{"use_repo with rules_go", func(f *Files) {
			f.Module = edit(f.Module, "    \"org_golang_x_term\",\n", "    \"org_golang_x_term\",\n    \"com_github_bazelbuild_rules_go\",\n")
		}, []string{"lists com_github_bazelbuild_buildtools, com_github_bazelbuild_rules_go,"}},
		{"two mismatches at once", func(f *Files) {
			f.Module = edit(f.Module, `version = "0.65.0"`, `version = "0.64.0"`)
			f.Workspace = edit(f.Workspace, `go_register_toolchains(version = "1.26.0")`, `go_register_toolchains(version = "1.25.0")`)
		}, []string{"MODULE.bazel 0.64.0", `WORKSPACE registers Go "1.25.0"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := Files{GoMod: slices.Clone(real.GoMod), Module: slices.Clone(real.Module), Workspace: slices.Clone(real.Workspace), Deps: real.Deps}
			tt.edit(&f)
			wantErr(t, CompareVersions(f), tt.want...)
		})
	}
}
