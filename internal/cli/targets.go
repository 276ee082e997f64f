package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/internal/bench"
	"github.com/fromscratch/fromscratch/internal/merge"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/publish"
	"github.com/fromscratch/fromscratch/internal/repro"
	"github.com/fromscratch/fromscratch/internal/shard"
	"github.com/fromscratch/fromscratch/internal/signature"
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

// BenchConfigure is bench:configure: see bench.Suite.Configure.
func (c *CLI) BenchConfigure(ctx context.Context) error {
	s, err := c.benchSuite()
	if err != nil {
		return err
	}
	return s.Configure(ctx)
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
	o := c.publishing(cfg)
	if o.Signing, err = c.signing(ctx, cfg); err != nil {
		return err
	}
	rel, err := publish.Release(ctx, o)
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
	o := c.publishing(cfg)
	if o.Signing, err = c.signing(ctx, cfg); err != nil {
		return err
	}
	pushed, err := publish.Push(ctx, o, prefix)
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

// signing reads the signing key of cfg, if one is set.
func (c *CLI) signing(ctx context.Context, cfg Config) (publish.Signing, error) {
	s := publish.Signing{Commit: c.commit(ctx, cfg), BuilderID: cfg.BuilderID, InvocationID: cfg.InvocationID}
	if cfg.SigningKey == "" {
		return s, nil
	}
	if err := outsideProject(cfg.Root, cfg.SigningKey); err != nil {
		return s, err
	}
	data, err := os.ReadFile(cfg.SigningKey)
	if err != nil {
		return s, fmt.Errorf("FROMSCRATCH_SIGNING_KEY: %w", err)
	}
	s.Key, err = signature.ParsePrivateKey(cfg.SigningKey, data, []byte(cfg.SigningPassword))
	return s, err
}

// outsideProject refuses a signing key inside the project's folder: a key
// there is one commit away from being published with it.
func outsideProject(root, key string) error {
	r, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	k, err := filepath.Abs(key)
	if err != nil {
		return err
	}
	if rel, err := filepath.Rel(r, k); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return usageError{fmt.Errorf("FROMSCRATCH_SIGNING_KEY %s is inside the project %s: keep the private key outside the repository (a CI secret, a file under $HOME)", key, root)}
	}
	return nil
}

// Verify is verify REF: see publish.Verify.
func (c *CLI) Verify(ctx context.Context, ref string) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	if cfg.VerifyKey == "" {
		return usageError{fmt.Errorf("verify %s: want the public key: --key cosign.pub (or FROMSCRATCH_VERIFY_KEY)", ref)}
	}
	data, err := os.ReadFile(cfg.VerifyKey)
	if err != nil {
		return fmt.Errorf("--key: %w", err)
	}
	key, err := signature.ParsePublicKey(cfg.VerifyKey, data)
	if err != nil {
		return err
	}
	return publish.Verify(ctx, publish.VerifyOptions{Registry: c.registry, Key: key, Source: cfg.VerifySource, Log: c.out}, ref)
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
