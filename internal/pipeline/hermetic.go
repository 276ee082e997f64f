package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// BuildRoot is the pinned Debian root every build step runs in, each step
// in its own bubblewrap sandbox: the root read-only at /, the step's own
// places writable, no network. Options.BuildRoot nil runs steps on the host
// as before: only bench's side-by-side measurement does that.
type BuildRoot struct {
	Lock  *debian.RootLock // toolchains/buildroot.lock.json
	Fetch *debian.Fetcher  // where the locked .debs come from
	Bwrap string           // the bwrap executable
	// Problem says why the root cannot be used (no lock, no bwrap): a
	// build with it fails at once, naming it.
	Problem error
}

// hermetic is the Builder's state of the build root: assembled (or found
// in the cache) once per run, the first time a step needs it.
type hermetic struct {
	once sync.Once
	dir  string
	err  error
}

// ToolRoot is what toolchain detection knows of the build root: its
// identity and versions from the lock, nothing run and nothing read from
// the host.
func (br *BuildRoot) ToolRoot() toolchain.Root {
	return toolchain.Root{
		Digest: br.Lock.Digest,
		Version: func(pkg string) (string, bool) {
			p, ok := br.Lock.Find(pkg)
			return p.Version, ok
		},
	}
}

// rootDir is the assembled build root, checked against its manifest once
// per run and assembled again when missing or damaged.
func (b *Builder) rootDir(ctx context.Context) (string, error) {
	b.root.once.Do(func() {
		b.root.dir, b.root.err = EnsureBuildRoot(ctx, b.opts.BuildRoot, b.opts.CacheDir)
	})
	return b.root.dir, b.root.err
}

// runtimeRoot is the build root for reading runtime files (closures):
// the published root as it is, without the whole-tree check, which only
// the first build step of a run pays. A no-op build thus reads no more
// of the root than the closures' files, whose size, date and inode the
// image key holds anyway. A root never published is assembled first.
func (b *Builder) runtimeRoot(ctx context.Context) (string, error) {
	dir := debian.RootDir(b.opts.CacheDir, b.opts.BuildRoot.Lock.Digest)
	if debian.RootPublished(dir) {
		return filepath.Join(dir, "root"), nil
	}
	return b.rootDir(ctx)
}

// stepRunner is the runner of one job's build steps: on the host without
// a build root, else in a sandbox whose only writable places are writable
// (and the toolchain's own cache, for zig) and whose other inputs,
// readOnly, are mounted read-only.
func (b *Builder) stepRunner(ctx context.Context, j Job, writable, readOnly []string) (toolchain.Runner, error) {
	if b.opts.BuildRoot == nil {
		return b.run, nil
	}
	dir, err := b.rootDir(ctx)
	if err != nil {
		return nil, err
	}
	if npm := j.Def.NpmDir(b.opts.CacheDir); npm != "" {
		// A provisioned toolchain (zig): its files read-only, its cache
		// (the libcs it builds once per target) shared and writable.
		zc := toolchain.ZigCache(b.opts.CacheDir)
		if err := os.MkdirAll(zc, 0o755); err != nil {
			return nil, fmt.Errorf("creating the toolchain cache: %w", err)
		}
		readOnly = append(readOnly, filepath.Dir(npm))
		writable = append(writable, zc)
	}
	s := toolchain.Sandbox{Bwrap: b.opts.BuildRoot.Bwrap, Root: dir, Writable: writable, ReadOnly: readOnly}
	return s.Wrap(b.run), nil
}

// stepTempDir is the TMPDIR of build steps: the sandbox's private /tmp
// inside the build root, else buildTempRoot (the cache's tmp/ when its
// path is safe in a shell).
func (b *Builder) stepTempDir() string {
	if b.opts.BuildRoot != nil {
		return "/tmp"
	}
	if d, err := b.buildTempRoot(); err == nil {
		return d
	}
	return filepath.Join(b.opts.CacheDir, "tmp")
}

// EnsureBuildRoot assembles the build root of br in cacheDir, or finds it
// there, and returns its directory (setup does it ahead of a build).
func EnsureBuildRoot(ctx context.Context, br *BuildRoot, cacheDir string) (string, error) {
	dir, err := debian.EnsureRoot(ctx, cacheDir, br.Lock, br.Fetch)
	if err != nil {
		return "", fmt.Errorf("preparing the build root: %w", err)
	}
	return dir, nil
}
