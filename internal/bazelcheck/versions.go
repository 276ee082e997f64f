package bazelcheck

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/bazelbuild/buildtools/build"
	"golang.org/x/mod/modfile"
)

// A dependency that is both a Go module in go.mod and a Bazel module in
// MODULE.bazel and an http_archive in WORKSPACE.
type bazelDep struct {
	module  string // Go module path
	name    string // Bazel module name in MODULE.bazel
	archive string // repository name in WORKSPACE
}

var bazelDeps = []bazelDep{
	{"github.com/bazelbuild/rules_go", "rules_go", "io_bazel_rules_go"},
	{"github.com/bazelbuild/bazel-gazelle", "gazelle", "bazel_gazelle"},
}

// downloadVersion is the release tag in an archive's URL.
var downloadVersion = regexp.MustCompile(`/releases/download/v([^/]+)/`)

// Files are the contents of the files Versions compares.
type Files struct {
	GoMod, Module, Workspace, Deps []byte
}

// ReadFiles reads go.mod, MODULE.bazel, WORKSPACE and deps.bzl from root.
func ReadFiles(root string) (Files, error) {
	var f Files
	for name, dst := range map[string]*[]byte{"go.mod": &f.GoMod, "MODULE.bazel": &f.Module, "WORKSPACE": &f.Workspace, "deps.bzl": &f.Deps} {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			return Files{}, fmt.Errorf("reading the Bazel files: %w", err)
		}
		*dst = b
	}
	return f, nil
}

// Versions checks the repository at root with CompareVersions.
func Versions(root string) error {
	f, err := ReadFiles(root)
	if err != nil {
		return err
	}
	return CompareVersions(f)
}

// CompareVersions checks that go.mod, MODULE.bazel and WORKSPACE name one
// and the same version of rules_go and of gazelle, that WORKSPACE registers
// the Go that go.mod asks for (MODULE.bazel reads it from go.mod), and that
// MODULE.bazel's use_repo lists the repositories of the modules go.mod
// requires directly or for a tool (less those Bazel modules provide), as
// deps.bzl names them. The error names every file and value that differ.
func CompareVersions(f Files) error {
	gomod, err := modfile.Parse("go.mod", f.GoMod, nil)
	if err != nil {
		return fmt.Errorf("parsing go.mod: %w", err)
	}
	module, err := build.ParseModule("MODULE.bazel", f.Module)
	if err != nil {
		return fmt.Errorf("parsing MODULE.bazel: %w", err)
	}
	workspace, err := build.ParseWorkspace("WORKSPACE", f.Workspace)
	if err != nil {
		return fmt.Errorf("parsing WORKSPACE: %w", err)
	}
	deps, err := build.ParseBzl("deps.bzl", f.Deps)
	if err != nil {
		return fmt.Errorf("parsing deps.bzl: %w", err)
	}

	var errs []error
	for _, d := range bazelDeps {
		errs = append(errs, sameVersion(d, gomod, module, workspace))
	}
	errs = append(errs, sameGo(gomod, workspace), useRepo(gomod, module, deps))
	return errors.Join(errs...)
}

// sameVersion compares the versions of d in the three files.
func sameVersion(d bazelDep, gomod *modfile.File, module, workspace *build.File) error {
	found := map[string][]string{} // file -> versions
	for _, r := range gomod.Require {
		if r.Mod.Path == d.module {
			found["go.mod"] = append(found["go.mod"], strings.TrimPrefix(r.Mod.Version, "v"))
		}
	}
	for _, r := range module.Rules("bazel_dep") {
		if r.AttrString("name") == d.name {
			found["MODULE.bazel"] = append(found["MODULE.bazel"], r.AttrString("version"))
		}
	}
	for _, r := range workspace.Rules("http_archive") {
		if r.Name() != d.archive {
			continue
		}
		urls := r.AttrStrings("urls")
		if u := r.AttrString("url"); u != "" {
			urls = append(urls, u)
		}
		for _, u := range urls {
			v := "?"
			if m := downloadVersion.FindStringSubmatch(u); m != nil {
				v = m[1]
			}
			found["WORKSPACE"] = append(found["WORKSPACE"], v)
		}
	}
	var all []string
	for _, file := range []string{"go.mod", "MODULE.bazel", "WORKSPACE"} {
		if len(found[file]) == 0 {
			return fmt.Errorf("%s: %s is not in %s", d.name, d.module, file)
		}
		all = append(all, found[file]...)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(all)))) != 1 {
		return fmt.Errorf("%s: go.mod has %s, MODULE.bazel %s, WORKSPACE %s; make them one version",
			d.name, strings.Join(found["go.mod"], ", "), strings.Join(found["MODULE.bazel"], ", "), strings.Join(found["WORKSPACE"], ", "))
	}
	return nil
}

// sameGo compares the Go of go_register_toolchains in WORKSPACE with
// go.mod's toolchain line, or its go line when there is none (the version
// go_sdk.from_file takes).
func sameGo(gomod *modfile.File, workspace *build.File) error {
	want := ""
	if gomod.Go != nil {
		want = gomod.Go.Version
	}
	if gomod.Toolchain != nil {
		want = strings.TrimPrefix(gomod.Toolchain.Name, "go")
	}
	rules := workspace.Rules("go_register_toolchains")
	if len(rules) != 1 {
		return fmt.Errorf("WORKSPACE has %d go_register_toolchains calls, want 1", len(rules))
	}
	if got := rules[0].AttrString("version"); got != want {
		return fmt.Errorf("WORKSPACE registers Go %q, go.mod asks for %q", got, want)
	}
	return nil
}

// useRepo compares MODULE.bazel's use_repo(go_deps, ...) with the modules
// go.mod requires directly or for a tool.
func useRepo(gomod *modfile.File, module, deps *build.File) error {
	names := map[string]string{} // module path -> repository name
	for _, r := range deps.Rules("go_repository") {
		names[r.AttrString("importpath")] = r.Name()
	}
	var want []string
	for _, r := range gomod.Require {
		if r.Indirect && !providesTool(r.Mod.Path, gomod.Tool) {
			continue
		}
		if slices.ContainsFunc(bazelDeps, func(d bazelDep) bool { return d.module == r.Mod.Path }) {
			continue
		}
		name, ok := names[r.Mod.Path]
		if !ok {
			return fmt.Errorf("deps.bzl has no go_repository for %s (run %s)", r.Mod.Path, Regenerate[1])
		}
		want = append(want, name)
	}
	var got []string
	for _, r := range module.Rules("use_repo") {
		args := r.Call.List
		if len(args) == 0 {
			continue
		}
		if id, ok := args[0].(*build.Ident); !ok || id.Name != "go_deps" {
			continue
		}
		for _, a := range args[1:] {
			if s, ok := a.(*build.StringExpr); ok {
				got = append(got, s.Value)
			}
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		return fmt.Errorf("MODULE.bazel: use_repo(go_deps, ...) lists %s; go.mod's direct and tool modules are %s",
			strings.Join(got, ", "), strings.Join(want, ", "))
	}
	return nil
}

// providesTool reports whether module holds one of the tool packages.
func providesTool(module string, tools []*modfile.Tool) bool {
	for _, t := range tools {
		if t.Path == module || strings.HasPrefix(t.Path, module+"/") {
			return true
		}
	}
	return false
}
