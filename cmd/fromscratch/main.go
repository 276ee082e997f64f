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
	"runtime/pprof"
	"syscall"

	"github.com/fromscratch/fromscratch/internal/cli"
	"github.com/fromscratch/fromscratch/internal/spell"
)

func main() {
	spell.UseCommand() // advice in errors names fromscratch's verbs, not mage's targets
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfile := cpuProfile(os.Getenv("FROMSCRATCH_CPUPROFILE"))
	code := cli.Main(ctx, os.Args, os.Stdout, os.Stderr)
	stopProfile()
	stop()
	os.Exit(code)
}

// cpuProfile writes a Go CPU profile of the run to path, when set: how the
// README's no-op measurement finds where a run's time goes
// (go tool pprof -top fromscratch PROFILE...).
func cpuProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		os.Stderr.WriteString("FROMSCRATCH_CPUPROFILE: " + err.Error() + "\n")
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}
