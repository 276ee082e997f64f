// Package bazelcheck checks the repository's Bazel files without Bazel:
// gazelle says whether the BUILD files and deps.bzl match the code and
// go.mod, buildifier whether every Starlark file is formatted and lint-free,
// actionlint whether the workflows are sound, and Versions whether go.mod,
// MODULE.bazel and WORKSPACE name the same rules_go, gazelle and Go.
package bazelcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// Regenerate are the commands that bring the BUILD files and deps.bzl up
// to date, run from the repository's root.
var Regenerate = []string{
	"go tool gazelle",
	"go tool gazelle update-repos -from_file=go.mod -to_macro=deps.bzl%go_dependencies -prune",
}

// step is one check of the repository at root.
type step struct {
	name string
	run  func(ctx context.Context, root string, run toolchain.Runner, env []string) error
}

var steps = []step{
	{"versions", func(_ context.Context, root string, _ toolchain.Runner, _ []string) error { return Versions(root) }},
	{"gazelle", BuildFiles},
	{"gazelle update-repos", Deps},
	{"buildifier", Buildifier},
	{"actionlint", Actionlint},
}

// Check runs every check on the repository at root and reports each on out.
// The tools run as `go tool ...` from root through run, with env as their
// whole environment (it needs PATH, HOME and whatever Go settings apply).
// The error joins the failures of all the checks.
func Check(ctx context.Context, root string, run toolchain.Runner, env []string, out io.Writer) error {
	var errs []error
	for _, s := range steps {
		if err := s.run(ctx, root, run, env); err != nil {
			fmt.Fprintf(out, "FAIL %s\n", s.name)
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(out, "ok   %s\n", s.name)
	}
	return errors.Join(errs...)
}

// goTool runs `go tool name args...` in dir.
func goTool(ctx context.Context, run toolchain.Runner, env []string, dir, name string, args ...string) ([]byte, error) {
	return run(ctx, toolchain.Command{Args: append([]string{"go", "tool", name}, args...), Dir: dir}, env)
}

// BuildFiles runs gazelle in -mode=diff: every BUILD file must be what
// gazelle generates from the Go code. The error names the files that
// differ and carries gazelle's diff.
func BuildFiles(ctx context.Context, root string, run toolchain.Runner, env []string) error {
	out, err := goTool(ctx, run, env, root, "gazelle", "-mode=diff")
	if err == nil {
		return nil
	}
	var files []string
	for _, line := range strings.Split(string(out), "\n") {
		if f, ok := strings.CutPrefix(line, "+++ "); ok {
			files = append(files, strings.Fields(f)[0])
		}
	}
	if len(files) == 0 {
		return fmt.Errorf("gazelle -mode=diff: %w: %s", err, bytes.TrimSpace(out))
	}
	return fmt.Errorf("gazelle would change %s (run %s):\n%s",
		strings.Join(files, ", "), Regenerate[0], bytes.TrimSpace(out))
}

// Deps runs gazelle update-repos on a copy of the files it reads and
// compares the deps.bzl it writes with the repository's.
func Deps(ctx context.Context, root string, run toolchain.Runner, env []string) error {
	tmp, err := os.MkdirTemp("", "bazelcheck-")
	if err != nil {
		return fmt.Errorf("checking deps.bzl: %w", err)
	}
	defer os.RemoveAll(tmp)
	for _, f := range []string{"go.mod", "go.sum", "WORKSPACE", "deps.bzl", "MODULE.bazel", "BUILD.bazel"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return fmt.Errorf("checking deps.bzl: %w", err)
		}
		if err := os.WriteFile(filepath.Join(tmp, f), b, 0o644); err != nil {
			return fmt.Errorf("checking deps.bzl: %w", err)
		}
	}
	out, err := goTool(ctx, run, env, root, "gazelle", "update-repos",
		"-repo_root="+tmp, "-from_file="+filepath.Join(tmp, "go.mod"),
		"-to_macro=deps.bzl%go_dependencies", "-prune")
	if err != nil {
		return fmt.Errorf("gazelle update-repos: %w: %s", err, bytes.TrimSpace(out))
	}
	want, err := os.ReadFile(filepath.Join(tmp, "deps.bzl"))
	if err != nil {
		return fmt.Errorf("checking deps.bzl: %w", err)
	}
	got, err := os.ReadFile(filepath.Join(root, "deps.bzl"))
	if err != nil {
		return fmt.Errorf("checking deps.bzl: %w", err)
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("deps.bzl differs from what gazelle generates from go.mod (run %s)", Regenerate[1])
	}
	return nil
}

// starlark reports whether a file of this name is Starlark.
func starlark(name string) bool {
	switch name {
	case "BUILD", "BUILD.bazel", "WORKSPACE", "WORKSPACE.bazel", "WORKSPACE.bzlmod", "MODULE.bazel":
		return true
	}
	return strings.HasSuffix(name, ".bzl") || strings.HasSuffix(name, ".star")
}

// skipped are directories that hold no files of the project's own.
var skipped = []string{".git", ".cache", "out", "node_modules"}

// StarlarkFiles lists the Starlark files under root, slash-separated and
// relative to root, sorted. Symlinks (such as Bazel's bazel-* convenience
// links) are not followed.
func StarlarkFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && slices.Contains(skipped, d.Name()) {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() && starlark(d.Name()) {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing Starlark files: %w", err)
	}
	slices.Sort(files)
	return files, nil
}

// Buildifier runs buildifier --mode=check --lint=warn on every Starlark
// file; its findings name the files.
func Buildifier(ctx context.Context, root string, run toolchain.Runner, env []string) error {
	files, err := StarlarkFiles(root)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return errors.New("buildifier: no Starlark files")
	}
	out, err := goTool(ctx, run, env, root, "buildifier", append([]string{"--mode=check", "--lint=warn"}, files...)...)
	if err != nil {
		return fmt.Errorf("buildifier (run go tool buildifier --lint=fix on the files): %w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// Actionlint runs actionlint on the GitHub workflows; its findings name
// the files.
func Actionlint(ctx context.Context, root string, run toolchain.Runner, env []string) error {
	var files []string
	for _, pattern := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(root, ".github", "workflows", pattern))
		if err != nil {
			return fmt.Errorf("listing workflows: %w", err)
		}
		for _, f := range m {
			rel, err := filepath.Rel(root, f)
			if err != nil {
				return fmt.Errorf("listing workflows: %w", err)
			}
			files = append(files, filepath.ToSlash(rel))
		}
	}
	if len(files) == 0 {
		return errors.New("actionlint: no workflows in .github/workflows")
	}
	out, err := goTool(ctx, run, env, root, "actionlint", append([]string{"-no-color"}, files...)...)
	if err != nil {
		return fmt.Errorf("actionlint: %w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}
