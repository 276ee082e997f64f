package cli

import (
	"context"
	"strings"

	"github.com/fromscratch/fromscratch/internal/bench"
	"github.com/fromscratch/fromscratch/internal/merge"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/publish"
	"github.com/fromscratch/fromscratch/internal/repro"
	"github.com/fromscratch/fromscratch/internal/shard"
)

// The targets below are features of packages of their own, above the
// engine: the front door reads the configuration and hands them its
// runner, its output and, where they build the matrix, its build (out/'s
// lock, the engine, the summary).

// Bench is bench (bench:files): see bench.Suite.Files.
func (c *CLI) Bench(ctx context.Context) error {
	s, err := c.benchSuite()
	if err != nil {
		return err
	}
	return s.Files(ctx)
}

// BenchReal is bench:real: see bench.Suite.Real.
func (c *CLI) BenchReal(ctx context.Context) error {
	s, err := c.benchSuite()
	if err != nil {
		return err
	}
	return s.Real(ctx)
}

func (c *CLI) benchSuite() (bench.Suite, error) {
	cfg, err := c.config()
	if err != nil {
		return bench.Suite{}, err
	}
	return bench.Suite{Options: c.options(cfg), Run: c.run, Out: c.out, Home: cfg.Home}, nil
}

// VerifyRepro is verify:repro: see repro.Check.Verify.
func (c *CLI) VerifyRepro(ctx context.Context) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	return c.reproCheck(cfg).Verify(ctx)
}

func (c *CLI) reproCheck(cfg Config) repro.Check {
	cfg.CI = true
	build := func(ctx context.Context, opts pipeline.Options) (*pipeline.Report, error) {
		vc := cfg // the variation's root and out/, for the summary
		vc.Root, vc.OutDir = opts.Root, opts.OutDir
		return c.build(ctx, vc, opts, c.run)
	}
	return repro.Check{Options: c.options(cfg), Build: build, Run: c.run, Out: c.out, Environ: cfg.Environ}
}

// Release is release: see publish.Release.
func (c *CLI) Release(ctx context.Context) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	rel, err := publish.Release(ctx, c.publishing(cfg))
	if err != nil || !c.json {
		return err
	}
	return writeJSON(c.out, releaseJSON(cfg, rel))
}

// Push is release:push: see publish.Push.
func (c *CLI) Push(ctx context.Context, prefix string) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	pushed, err := publish.Push(ctx, c.publishing(cfg), prefix)
	if err != nil || !c.json {
		return err
	}
	return writeJSON(c.out, PushJSON{SchemaVersion: JSONSchema, Command: "release push", Prefix: strings.TrimSuffix(prefix, "/"), Indexes: pushed})
}

// publishing are publish's options for cfg.
func (c *CLI) publishing(cfg Config) publish.Options {
	build := func(ctx context.Context, opts pipeline.Options) (*pipeline.Report, error) {
		return c.buildHeld(ctx, cfg, opts, c.run)
	}
	return publish.Options{Engine: c.options(cfg), Build: build, Run: c.run, Registry: c.registry, Log: c.log, Version: Version}
}

// Merge combines the outputs of shard builds into out/ (see merge.Shards).
// Each argument may hold several directories, comma- or space-separated.
func (c *CLI) Merge(ctx context.Context, args []string) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	return merge.Shards(ctx, merge.Options{
		Engine: c.options(cfg), Run: c.run, Partial: cfg.PartialMerge, StepSummary: cfg.StepSummary, Log: c.log,
		Manifest: func(ctx context.Context, opts pipeline.Options) (*shard.Manifest, error) {
			return c.manifest(ctx, cfg, opts, nil)
		},
	}, args)
}

// Clean removes what fromscratch wrote in out/ (see outdir.Path.Clean).
func (c *CLI) Clean() error {
	cfg, err := c.settings()
	if err != nil {
		return err
	}
	return outdir.Path(cfg.OutDir).Clean(c.log)
}
