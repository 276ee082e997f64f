package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// Suite is the Debian release whose packages the runtimes are pinned from.
const Suite = "bookworm"

// SuiteVersion is Suite's VERSION_ID: the "12" of the distro=debian-12 that
// the purls of packages pinned from it carry.
const SuiteVersion = "12"

// LockPath is the runtime lock file of the repository at root.
func LockPath(root string) string {
	return filepath.Join(root, "toolchains", debian.LockFileName)
}

// DebianRun adapts a toolchain.Runner to the debian package's Run.
func DebianRun(run toolchain.Runner) debian.Run {
	return func(ctx context.Context, argv []string, dir string, env []string) ([]byte, error) {
		return run(ctx, toolchain.Command{Args: argv, Dir: dir}, env)
	}
}

// RuntimeWants is what the lock pins, per platform in recipe.Platforms
// order: the union of the runtime packages of the toolchains' targets, or
// the first runtime note of a platform none of them pins.
func RuntimeWants(defs []*toolchain.Definition) ([]debian.Want, error) {
	var wants []debian.Want
	for _, p := range recipe.Platforms {
		w := debian.Want{Platform: string(p)}
		for _, d := range defs {
			t, ok := d.Target(p)
			if !ok {
				continue
			}
			if t.RuntimeArch != "" && w.Arch != "" && t.RuntimeArch != w.Arch {
				return nil, fmt.Errorf("toolchains/%s: %s: runtime_arch %q, but another toolchain says %q", d.File, p, t.RuntimeArch, w.Arch)
			}
			if t.RuntimeArch != "" {
				w.Arch = t.RuntimeArch
			}
			for _, pkg := range t.RuntimePackages {
				if !slices.Contains(w.Packages, pkg) {
					w.Packages = append(w.Packages, pkg)
				}
			}
			if w.Note == "" {
				w.Note = t.RuntimeNote
			}
		}
		if w.Arch != "" {
			w.Note = ""
		}
		if w.Arch != "" || w.Note != "" {
			wants = append(wants, w)
		}
	}
	return wants, nil
}

// LockRuntime refreshes toolchains/runtime.lock.json of the project at
// root (the toolchains:lock target): it pins the current candidates of
// the runtime packages of defs (the project's toolchains) from the mirror named in sources (the
// machine's apt sources: /etc/apt/sources.list.d/debian.sources and/or
// /etc/apt/sources.list, concatenated), downloading them into cacheDir.
func LockRuntime(ctx context.Context, run toolchain.Runner, defs []*toolchain.Definition, root, cacheDir string, sources []byte) (*debian.LockFile, error) {
	wants, err := RuntimeWants(defs)
	if err != nil {
		return nil, err
	}
	lock, err := debian.Lock(ctx, DebianRun(run), cacheDir, sources, Suite, wants)
	if err != nil {
		return nil, fmt.Errorf("pinning the runtime packages: %w", err)
	}
	return lock, debian.WriteLock(LockPath(root), lock)
}

// runtime unpacks the pinned runtime packages of target t: the files of
// its dynamic images. Every toolchain of a platform gets the same ones,
// prepared once per run (b.rts): every dynamic cell of a platform, of
// every toolchain and recipe, uses them.
func (b *Builder) runtime(ctx context.Context, t toolchain.Target) (*debian.Runtime, error) {
	key := string(t.Platform) + "\x00" + t.RuntimeArch + "\x00" + strings.Join(t.RuntimePackages, ",")
	return b.rts.get(key, func() (*debian.Runtime, error) { return b.prepareRuntime(ctx, t) })
}

func (b *Builder) prepareRuntime(ctx context.Context, t toolchain.Target) (*debian.Runtime, error) {
	lock, err := debian.ReadLock(filepath.Join(b.opts.toolchainDir(), debian.LockFileName))
	if err != nil {
		return nil, err
	}
	if pl, ok := lock.Platform(string(t.Platform)); !ok || pl.Arch != t.RuntimeArch {
		return nil, fmt.Errorf("toolchains/%s pins no %s runtime for %s: run %s", debian.LockFileName, t.RuntimeArch, t.Platform, debian.RefreshTarget())
	}
	if _, err := lock.Pins(string(t.Platform), t.RuntimePackages...); err != nil {
		return nil, err
	}
	return debian.Prepare(ctx, b.fetcher(), lock, string(t.Platform))
}

// fetcher is where the pinned .debs come from: the build root's fetcher,
// or without one the machine's mirror (Options.AptSources), then Debian's
// archive.
func (b *Builder) fetcher() *debian.Fetcher { return b.opts.Fetcher() }

// Fetcher fetches Debian packages for a run of o: the build root's, else
// the machine's mirror, then Debian's archive.
func (o Options) Fetcher() *debian.Fetcher {
	if br := o.BuildRoot; br != nil && br.Fetch != nil {
		return br.Fetch
	}
	f := debian.MachineFetcher(o.CacheDir, o.AptSources, Suite)
	f.Stall = o.StallTimeout
	return f
}
