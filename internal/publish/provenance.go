package publish

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/internal/digest"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/release"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// lockFiles are the build environment's locks a provenance names by
// digest: the target-architecture runtime packages and the build root.
var lockFiles = []string{"toolchains/runtime.lock.json", "toolchains/buildroot.lock.json"}

// provenanceInputs are what an image of recipe name, built with
// toolchain, was made from in the checkout at root: its commit (when
// known), the recipe's inputs and those of the library recipes it was
// built with (each by the digest its version names), their pinned source
// files and patches, the toolchain's file and the locks. Nothing host
// specific is recorded: names are relative to the checkout.
func provenanceInputs(root, name, toolchain, commit string) ([]release.ResourceDescriptor, error) {
	all, err := recipe.LoadAll(filepath.Join(root, "recipes"))
	if err != nil {
		return nil, err
	}
	var rc *recipe.Recipe
	for _, r := range all {
		if r.Name == name {
			rc = r
		}
	}
	if rc == nil {
		return nil, fmt.Errorf("provenance of %s: no recipe %s in %s", name, name, filepath.Join(root, "recipes"))
	}
	deps, err := recipe.Dependencies(rc, all)
	if err != nil {
		return nil, err
	}
	var out []release.ResourceDescriptor
	if commit != "" {
		out = append(out, release.ResourceDescriptor{Name: "commit", Digest: map[string]string{"gitCommit": commit}})
	}
	for _, r := range append(deps, rc) {
		in, err := recipeInputs(root, r)
		if err != nil {
			return nil, err
		}
		out = append(out, in...)
	}
	for _, f := range append(lockFiles, path.Join("toolchains", toolchain+".toml")) {
		sum, err := digest.File(filepath.Join(root, filepath.FromSlash(f)))
		if errors.Is(err, fs.ErrNotExist) {
			continue // no such toolchain file (prebuilt), no build root lock
		}
		if err != nil {
			return nil, fmt.Errorf("provenance of %s: %w", name, err)
		}
		out = append(out, release.ResourceDescriptor{Name: f, Digest: map[string]string{"sha256": sum}})
	}
	release.SortInputs(out)
	return out, nil
}

// recipeInputs are recipe r's inputs: the folder by the digest its
// version names, and a project's pinned files and patches.
func recipeInputs(root string, r *recipe.Recipe) ([]release.ResourceDescriptor, error) {
	d, err := pipeline.SourceDigest(r)
	if err != nil {
		return nil, err
	}
	dir := filepath.ToSlash(workspace.Rel(root, r.Dir))
	out := []release.ResourceDescriptor{{Name: dir, Digest: map[string]string{"sha256": strings.TrimPrefix(d, "sha256:")}}}
	if !r.IsProject() {
		return out, nil
	}
	s, err := release.NewSource(r, pipeline.ProgramVersion(d), release.Distro{ID: "debian", VersionID: pipeline.SuiteVersion})
	if err != nil {
		return nil, err
	}
	return append(out, release.SourceInputs(s, dir)...), nil
}

// toolchainOf is the toolchain of a variant: gcc of gcc-static.
func toolchainOf(variant string) string {
	if i := strings.LastIndex(variant, "-"); i > 0 {
		return variant[:i]
	}
	return variant
}
