package publish

import (
	"context"
	"fmt"
	"os"

	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/release"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// hostDebian is where a build on the host reads its Debian facts: dpkg's
// database and the distribution's os-release.
type hostDebian struct{ InfoDir, OSRelease string }

// systemDebian is the host's own.
var systemDebian = hostDebian{InfoDir: "/var/lib/dpkg/info", OSRelease: "/etc/os-release"}

// debianFacts are where the SBOMs' Debian packages and distribution come
// from: in a build in the build root, its lock and the root's contents
// (nothing of the host is read, so another host writes the same SBOMs);
// on the host, dpkg's database and os-release (bench's side-by-side run).
type debianFacts struct {
	res    release.Resolver
	distro release.Distro
	root   *release.BuildRoot // nil on the host
	lock   *debian.RootLock   // the build root's lock; nil on the host
}

// record is the contents of the release's debian.BuildInfoName: the
// build root's lock and the toolchains the release's cells mounted into
// it (zig). nil on the host.
func (f *debianFacts) record(rep *pipeline.Report) ([]byte, error) {
	if f.lock == nil {
		return nil, nil
	}
	seen := map[string]bool{}
	var mounted []debian.Mounted
	for _, j := range rep.Jobs {
		if r := rep.Results[j.Cell.String()]; r == nil || r.Err != nil || seen[j.Def.Name] {
			continue
		}
		seen[j.Def.Name] = true
		t, err := pipeline.MountedTool(j.Def)
		if err != nil {
			return nil, err
		}
		if t != nil {
			mounted = append(mounted, debian.Mounted{Name: t.Name, Version: t.Version, Npm: t.Npm, SHA512: t.SHA512})
		}
	}
	return f.lock.BuildInfo(mounted...), nil
}

// newDebianFacts chooses the facts of the engine's options: the build
// root's when it has one, else the host's as h names them.
func newDebianFacts(engine pipeline.Options, run toolchain.Runner, h hostDebian) (*debianFacts, error) {
	if br := engine.BuildRoot; br != nil {
		if br.Lock == nil {
			return nil, fmt.Errorf("describing the build root: %w", br.Problem)
		}
		return lockedFacts(engine.CacheDir, br.Lock)
	}
	return hostFacts(run, h)
}

// lockedFacts are the facts of the build root of lock, assembled in
// cacheDir. A root that was never assembled (no image took a file from
// it: every cell static) has no contents, and needs none.
func lockedFacts(cacheDir string, lock *debian.RootLock) (*debianFacts, error) {
	if lock.Suite != pipeline.Suite {
		return nil, fmt.Errorf("toolchains/%s: suite %q: this fromscratch describes %s (Debian %s) build roots only",
			debian.RootLockFileName, lock.Suite, pipeline.Suite, pipeline.SuiteVersion)
	}
	res, err := pipeline.RootResolver(cacheDir, lock)
	if err != nil {
		return nil, err
	}
	distro := release.Distro{ID: "debian", VersionID: pipeline.SuiteVersion}
	return &debianFacts{
		res:    res,
		distro: distro,
		root: &release.BuildRoot{Digest: lock.Digest, Suite: lock.Suite, Distro: distro, Arch: lock.Arch,
			Packages: len(lock.Packages), Record: debian.BuildInfoName},
		lock: lock,
	}, nil
}

// hostFacts are the facts of the host: dpkg's list files and dpkg-query
// (through run), and os-release.
func hostFacts(run toolchain.Runner, h hostDebian) (*debianFacts, error) {
	data, err := os.ReadFile(h.OSRelease)
	if err != nil {
		return nil, fmt.Errorf("reading the distribution: %w", err)
	}
	distro, err := release.ParseOSRelease(data)
	if err != nil {
		return nil, err
	}
	res := release.NewDpkgResolver(h.InfoDir, release.DpkgQuery(func(ctx context.Context, argv, env []string) ([]byte, error) {
		return run(ctx, toolchain.Command{Args: argv}, env)
	}))
	return &debianFacts{res: res, distro: distro}, nil
}
