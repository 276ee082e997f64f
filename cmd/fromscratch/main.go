// Command fromscratch is the plain command line of fromscratch, with the
// same verbs as the mage targets: fromscratch build all, fromscratch build
// recipe hello, fromscratch matrix show, ... Both are thin shells over
// internal/cli. Under `bazel run //cmd/fromscratch` it finds recipes/ and
// toolchains/ through the runfiles; run any other way, it works on the
// project it stands in (the nearest folder with recipes/ or a
// fromscratch.toml), with the toolchain files built into it unless the
// project has its own.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/fromscratch/fromscratch/internal/cli"
	"github.com/fromscratch/fromscratch/internal/spell"
)

func main() {
	spell.UseCommand() // advice in errors names fromscratch's verbs, not mage's targets
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
