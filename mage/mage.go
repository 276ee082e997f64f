// Package mage is fromscratch's targets for a project's own magefile:
//
//	//go:build mage
//
//	package main
//
//	import (
//		//mage:import
//		_ "github.com/fromscratch/fromscratch/mage"
//	)
//
// gives `mage build:all`, `mage init:dir PATH`, `mage matrix:show`,
// `mage release:all`, `mage setup` and the rest in the project's directory
// (the one holding recipes/). Each target is a line calling internal/cli,
// the code the fromscratch command runs, so both write the same bytes.
// This repository's magefiles/ imports it the same way and adds the
// targets of its own development (test, bench, bazel:check).
package mage

import (
	"context"
	"os"

	"github.com/magefile/mage/mg"

	"github.com/fromscratch/fromscratch/internal/cli"
)

// front is the command line's code for the project in the working
// directory (mage runs targets where the magefile is).
func front() *cli.CLI { return cli.New(".", os.Stdout, os.Stderr) }

// Build namespace: compile the matrix of cells.
type Build mg.Namespace

// All builds every applicable cell (recipe x platform x toolchain x
// linkage), packs its scratch image, smoke-runs it and writes out/matrix.*.
func (Build) All(ctx context.Context) error { return front().Build(ctx, nil) }

// Recipe builds every cell of one recipe: mage build:recipe hello.
func (Build) Recipe(ctx context.Context, name string) error {
	return front().Build(ctx, []string{name})
}

// Init namespace: a project's first recipes.
type Init mg.Namespace

// Dir writes recipes/<name>/ from the program in the folder PATH: a copy
// of it and a recipe.toml with its build system guessed.
func (Init) Dir(ctx context.Context, path string) error { return front().InitDir(ctx, path) }

// Debian writes recipes/NAME/recipe.toml for a Debian source package,
// NAME or NAME=VERSION: its upstream tarball pinned, its build system
// guessed.
func (Init) Debian(ctx context.Context, pkg string) error { return front().InitDebian(ctx, pkg) }

// Image namespace: scratch images of the built cells.
type Image mg.Namespace

// All packs the images of every built cell again from out/bin (after
// build:all), rewriting out/oci, out/docker and the matrix. It prints one
// summary: it does not run build:all first.
func (Image) All(ctx context.Context) error { return front().Images(ctx) }

// Load loads every archive in out/docker into the Docker engine.
func (Image) Load(ctx context.Context) error { return front().Load(ctx) }

// Run smoke-runs every image and records the results in the matrix.
func (Image) Run(ctx context.Context) error { return front().Smoke(ctx) }

// History prints each layer's created_by and size, like docker image
// history. REF is <recipe>:<toolchain>-<linkage>-<arch>, e.g. hello:gcc-dynamic-amd64.
func (Image) History(ctx context.Context, ref string) error { return front().History(ctx, ref) }

// Wrap packs an existing ELF file with its shared-library closure into a
// scratch image in out/wrap/<basename>/.
func (Image) Wrap(ctx context.Context, path string) error { return front().Wrap(ctx, path) }

// Source namespace: pinned sources of real programs.
type Source mg.Namespace

// Pin prints the [source] table pinning a Debian source package, given as
// NAME or NAME=VERSION: every file with its sha256 from the package's .dsc.
// The files go into the source store, so the first build needs no network.
func (Source) Pin(ctx context.Context, pkg string) error { return front().SourcePin(ctx, pkg) }

// Toolchains namespace: what compilers this machine has.
type Toolchains mg.Namespace

// List prints each toolchain, its detected version, the platforms it
// serves and, when unavailable, why and how to get it.
func (Toolchains) List(ctx context.Context) error { return front().ListToolchains(ctx) }

// Lock refreshes toolchains/runtime.lock.json: the exact versions, files
// and sha256s of the target-architecture Debian packages (libc6, libgcc-s1,
// libstdc++6 for arm64 and armhf) that dynamic images take their loader and
// libraries from; and toolchains/buildroot.lock.json: every package of the
// build root with its dependency closure. A build uses exactly these files.
func (Toolchains) Lock(ctx context.Context) error { return front().LockToolchains(ctx) }

// Matrix namespace: the size matrix in out/.
type Matrix mg.Namespace

// Show prints the size matrix tables of out/matrix.json.
func (Matrix) Show(ctx context.Context) error { return front().ShowMatrix(ctx) }

// Diff compares OLD.json with out/matrix.json and fails with exit code 3
// when a cell's image or binary grew past the threshold (5 % unless
// FROMSCRATCH_MAX_GROWTH or the file named by FROMSCRATCH_GATE says
// otherwise); any other failure exits 1.
func (Matrix) Diff(ctx context.Context, old string) error { return front().DiffMatrix(ctx, old, "") }

// Compare is matrix:diff between two files: mage matrix:compare OLD.json NEW.json.
func (Matrix) Compare(ctx context.Context, old, new string) error {
	return front().DiffMatrix(ctx, old, new)
}

// Merge combines shard outputs into out/, digest-identical to a single
// build:all: mage matrix:merge "shards/a shards/b" (comma- or
// space-separated).
func (Matrix) Merge(ctx context.Context, dirs string) error {
	return front().Merge(ctx, []string{dirs})
}

// Cache namespace: the action cache outside the project.
type Cache mg.Namespace

// Prune removes action-cache entries unused for FROMSCRATCH_CACHE_MAX_AGE
// (default 720h).
func (Cache) Prune(ctx context.Context) error { return front().PruneCache(ctx) }

// Verify namespace: release checks.
type Verify mg.Namespace

// Repro builds the whole matrix twice in two temporary directories under
// different paths, umask, time zone, locale, job counts and file order
// (SOURCE_DATE_EPOCH held equal) and reports, per cell, identical or
// different; it fails on any difference.
func (Verify) Repro(ctx context.Context) error { return front().VerifyRepro(ctx) }

// Image checks a pushed image or index: its signatures and SLSA
// provenance with the public key in FROMSCRATCH_VERIFY_KEY (inputs against
// the checkout in FROMSCRATCH_VERIFY_SOURCE, if set) and each image's SBOM
// referrer: FROMSCRATCH_VERIFY_KEY=cosign.pub go tool mage verify:image
// ghcr.io/OWNER/fromscratch/hello:gcc-static.
func (Verify) Image(ctx context.Context, ref string) error { return front().Verify(ctx, ref) }

// Release namespace: the release and its publication.
type Release mg.Namespace

// All writes out/release/: the OCI layouts, an SPDX SBOM per image, the
// matrix and SHA256SUMS; two runs give the same bytes.
func (Release) All(ctx context.Context) error { return front().Release(ctx) }

// Push pushes every recipe's multi-arch indexes from out/oci to
// PREFIX/<recipe>:<toolchain>-<linkage>, each image's SBOM attached as an OCI
// referrer: mage release:push ghcr.io/OWNER/fromscratch.
func (Release) Push(ctx context.Context, prefix string) error { return front().Push(ctx, prefix) }

// CI namespace: the matrix split across CI machines.
type CI mg.Namespace

// Plan prints the shard matrix as JSON for a GitHub Actions
// strategy.matrix: one shard per platform, or per platform and toolchain
// with FROMSCRATCH_SHARDS=toolchain.
func (CI) Plan(ctx context.Context) error { return front().Plan(ctx) }

// Setup provisions everything the matrix needs: Debian packages (as root),
// zig from npm into the cache, binfmt handlers and a Docker engine.
func Setup(ctx context.Context) error { return front().Setup(ctx) }

// Clean removes what fromscratch wrote in out/.
func Clean() error { return front().Clean() }
