package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/spell"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// LockToolchains refreshes toolchains/runtime.lock.json (the exact
// versions, files and sha256s of the target-architecture Debian packages
// dynamic images take their loader and libraries from) and
// toolchains/buildroot.lock.json (every package of the build root).
func (c *CLI) LockToolchains(ctx context.Context) error {
	cfg, defs, err := c.configAndToolchains()
	if err != nil {
		return err
	}
	src := debian.MachineSources()
	if len(src) == 0 {
		return fmt.Errorf("%s: no apt sources in %v: the Debian mirror is taken from there", spell.Verb("toolchains:lock"), debian.SourceFiles)
	}
	lock, err := pipeline.LockRuntime(ctx, c.run, defs, cfg.Root, cfg.CacheDir, src)
	if err != nil {
		return err
	}
	for _, p := range lock.Platforms {
		for _, pin := range p.Packages {
			fmt.Fprintf(c.out, "%-14s %s (%d bytes, sha256 %.12s)\n", p.Platform, pin, pin.Size, pin.SHA256)
		}
		if p.RuntimeNote != "" {
			fmt.Fprintf(c.out, "%-14s %s\n", p.Platform, p.RuntimeNote)
		}
		for _, idx := range p.UnreadableIndexes {
			fmt.Fprintf(c.log, "warning: %s: apt could not read %s; pinned from the other suites\n", p.Platform, idx)
		}
	}
	fmt.Fprintf(c.out, "wrote %s\n", workspace.Rel(cfg.Root, pipeline.LockPath(cfg.Root)))
	root, err := pipeline.LockBuildRoot(ctx, c.run, defs, cfg.Root, cfg.CacheDir, src)
	if err != nil {
		return err
	}
	var size int64
	for _, p := range root.Packages {
		size += p.Size
	}
	fmt.Fprintf(c.out, "build root: %d packages (%.1f MB of .debs) from %d requested, digest %.12s\n",
		len(root.Packages), float64(size)/1e6, len(root.Requested), root.Digest)
	fmt.Fprintf(c.out, "wrote %s\n", workspace.Rel(cfg.Root, pipeline.BuildRootLockPath(cfg.Root)))
	return nil
}

// runtimeFor prepares the pinned runtime of a platform, or returns nil when
// the toolchains keep the platform's sysroot (amd64's host libraries,
// riscv64's cross packages).
func (c *CLI) runtimeFor(ctx context.Context, cfg Config, platform string) (*debian.Runtime, error) {
	lock, err := debian.ReadLock(filepath.Join(cfg.ToolchainDir, debian.LockFileName))
	if err != nil {
		return nil, err
	}
	if _, ok := lock.Platform(platform); !ok {
		return nil, nil
	}
	if pl, _ := lock.Platform(platform); len(pl.Packages) == 0 {
		return nil, nil
	}
	return debian.Prepare(ctx, debian.MachineFetcher(cfg.CacheDir, nil, pipeline.Suite), lock, platform)
}
