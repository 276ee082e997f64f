//go:build mage

// Targets of fromscratch's own development. The targets every project
// gets (build:all, init:dir, matrix:show, release:all, setup, ...) come
// from github.com/fromscratch/fromscratch/mage, imported here as a user's
// magefile imports it; this file adds the repository's own (test, bench,
// bazel:check). Each is a few lines calling an internal package; the logic
// and its tests live in internal/.
package main

import (
	"context"
	"os"

	"github.com/magefile/mage/mg"

	//mage:import
	"github.com/fromscratch/fromscratch/mage"

	"github.com/fromscratch/fromscratch/internal/cli"
)

func front() *cli.CLI { return cli.New(".", os.Stdout, os.Stderr) }

// setupTests is setup plus what the tests need (the host's compilers,
// registry, umoci, skopeo).
func setupTests(ctx context.Context) error { return front().SetupTests(ctx) }

// Test runs go vet (also on the magefiles) and the whole test suite after
// provisioning what the tests need.
func Test(ctx context.Context) error {
	mg.Deps(setupTests)
	return front().Test(ctx)
}

// Aliases keep `go tool mage release` for release:all and `go tool mage
// bench` for bench:files.
var Aliases = map[string]interface{}{"release": mage.Release.All, "bench": Bench.Files}

// Bench namespace: measurements side by side in one run.
type Bench mg.Namespace

// Files measures fromscratch cold, warm and no-op against the Dockerfile
// way on the cells of the recipes of files and prints the ratios and the
// image overhead. `go tool mage bench` runs it.
func (Bench) Files(ctx context.Context) error { return front().Bench(ctx) }

// Real measures the real programs (their own build systems): fromscratch
// cold and warm against configure and make by hand, cell after cell, each
// split into configure, make and the rest.
func (Bench) Real(ctx context.Context) error { return front().BenchReal(ctx) }

// Configure measures the configure results shared between the linkages:
// a dynamic cell after its static one, with the static cell's compile
// results and without them, side by side.
func (Bench) Configure(ctx context.Context) error { return front().BenchConfigure(ctx) }

// Bazel namespace: the Bazel build files.
type Bazel mg.Namespace

// Check runs gazelle in diff mode, buildifier in check mode and actionlint,
// and checks that go.mod, MODULE.bazel and WORKSPACE name one rules_go.
func (Bazel) Check(ctx context.Context) error { return front().BazelCheck(ctx) }
