package release

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Origin is a Debian package: the one that installed a host file, or one
// named by the caller. Version is empty when dpkg could not tell it; Arch
// is the package's Architecture ("amd64", or "all" for the cross
// libraries such as libc6-arm64-cross), empty when unknown. Source is its
// source package ("glibc" for libc6) when a lock names it; dpkg's
// resolver leaves it empty.
type Origin struct{ Package, Version, Arch, Source string }

// Resolver finds Debian packages: the origin of a host file, and an
// installed package by name ("libc6-dev:amd64", "libc6-dev-arm64-cross").
type Resolver interface {
	Origin(hostPath string) (Origin, bool)
	Package(name string) (Origin, bool)
}

// DpkgPackage is what dpkg knows of an installed package.
type DpkgPackage struct{ Version, Architecture string }

// NewDpkgResolver returns a Resolver backed by dpkg's database: the
// *.list files in dpkgInfoDir (normally /var/lib/dpkg/info) map paths to
// packages, and query(pkg) gives a package's version and architecture
// (DpkgQuery, or a fake in tests). query is called with the list file's
// name, e.g. "libc6:amd64", so that a package installed for several
// architectures is not ambiguous; its results are cached, and a failure
// leaves Version empty (and Arch as the list name tells it).
//
// The index is built once, on first use. Unreadable list files are skipped:
// their files resolve to no origin, which an SBOM records as unknown. The
// Resolver is safe for concurrent use.
func NewDpkgResolver(dpkgInfoDir string, query func(pkg string) (DpkgPackage, error)) Resolver {
	return &dpkgResolver{infoDir: dpkgInfoDir, query: query, known: map[string]queried{}}
}

type dpkgResolver struct {
	infoDir string
	query   func(string) (DpkgPackage, error)

	once   sync.Once
	owners map[string]string // path as listed -> list name without ".list"

	mu    sync.Mutex
	known map[string]queried // package name as queried -> answer
}

type queried struct {
	DpkgPackage
	ok bool
}

func (r *dpkgResolver) Origin(hostPath string) (Origin, bool) {
	r.once.Do(r.index)
	for _, p := range lookupPaths(hostPath) {
		if name, ok := r.owners[p]; ok {
			o, _ := r.lookup(name)
			return o, true
		}
	}
	return Origin{}, false
}

// Package asks dpkg about name directly; false when it is not installed
// (or dpkg cannot answer).
func (r *dpkgResolver) Package(name string) (Origin, bool) {
	if !validDpkgName(name) {
		return Origin{}, false
	}
	return r.lookup(name)
}

// lookup is the origin of "pkg" or "pkg:arch", querying dpkg once per name.
func (r *dpkgResolver) lookup(name string) (Origin, bool) {
	r.mu.Lock()
	q, done := r.known[name]
	if !done {
		got, err := r.query(name)
		q = queried{got, err == nil}
		r.known[name] = q
	}
	r.mu.Unlock()
	pkg, arch, _ := strings.Cut(name, ":")
	if q.Architecture != "" {
		arch = q.Architecture
	}
	return Origin{Package: pkg, Version: q.Version, Arch: arch}, q.ok
}

// index reads every list file. Glob sorts, and the first list naming a
// path keeps it, so shared paths (directories) have a stable owner.
func (r *dpkgResolver) index() {
	r.owners = map[string]string{}
	lists, _ := filepath.Glob(filepath.Join(r.infoDir, "*.list")) // only ErrBadPattern
	for _, list := range lists {
		f, err := os.Open(list)
		if err != nil {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(list), ".list")
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			p := sc.Text()
			if !strings.HasPrefix(p, "/") {
				continue
			}
			if _, taken := r.owners[p]; !taken {
				r.owners[p] = name
			}
		}
		f.Close()
	}
}

// lookupPaths lists where dpkg may have recorded hostPath, best first: the
// file actually read (symlinks resolved) before the name it was reached by,
// each followed by its usrmerge twin. Debian 12 lists
// /lib/x86_64-linux-gnu/libc.so.6 although /lib is a symlink to usr/lib.
func lookupPaths(hostPath string) []string {
	abs, err := filepath.Abs(hostPath)
	if err != nil {
		return nil
	}
	var out []string
	add := func(p string) {
		for _, q := range out {
			if q == p {
				return
			}
		}
		out = append(out, p)
	}
	var bases []string
	if target, err := filepath.EvalSymlinks(abs); err == nil {
		bases = append(bases, target)
	}
	bases = append(bases, abs)
	for _, p := range bases {
		add(p)
		if rest, ok := strings.CutPrefix(p, "/usr/"); ok {
			add("/" + rest)
		} else {
			add("/usr" + p)
		}
	}
	return out
}

// Run runs argv with exactly the environment env (nil: an empty one) and
// returns its output. This package starts no process itself: the caller
// passes one, e.g. toolchain.Exec wrapped as
// func(ctx, argv, env) { return toolchain.Exec(ctx, toolchain.Command{Args: argv}, env) }.
type Run func(ctx context.Context, argv, env []string) ([]byte, error)

// DpkgQuery returns the query function of NewDpkgResolver backed by
// dpkg-query: it gives the installed version and architecture of pkg
// ("libc6" or "libc6:amd64"), running
// /usr/bin/dpkg-query -W --showformat='${Version} ${Architecture}\n' -- pkg
// through run with PATH=/usr/bin:/bin and LC_ALL=C only, and a timeout.
func DpkgQuery(run Run) func(pkg string) (DpkgPackage, error) {
	return func(pkg string) (DpkgPackage, error) {
		if !validDpkgName(pkg) {
			return DpkgPackage{}, fmt.Errorf("querying dpkg for %q: not a package name", pkg)
		}
		bin, err := findDpkgQuery()
		if err != nil {
			return DpkgPackage{}, fmt.Errorf("querying dpkg for %s: %w", pkg, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := run(ctx, []string{bin, "-W", `--showformat=${Version} ${Architecture}\n`, "--", pkg}, []string{"PATH=/usr/bin:/bin", "LC_ALL=C"})
		if err != nil {
			return DpkgPackage{}, fmt.Errorf("dpkg-query -W %s: %w: %s", pkg, err, strings.TrimSpace(string(out)))
		}
		return parseDpkgQuery(pkg, string(out))
	}
}

// parseDpkgQuery reads DpkgQuery's output: one "<version> <arch>" line
// per installed instance. A package that is known but not installed has
// an empty version.
func parseDpkgQuery(pkg, out string) (DpkgPackage, error) {
	var found []DpkgPackage
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 {
			found = append(found, DpkgPackage{Version: f[0], Architecture: f[1]})
		}
	}
	switch len(found) {
	case 0:
		return DpkgPackage{}, fmt.Errorf("dpkg-query -W %s: no version (not installed?)", pkg)
	case 1:
		return found[0], nil
	default:
		return DpkgPackage{}, fmt.Errorf("dpkg-query -W %s: %d instances %v, qualify the name with an architecture", pkg, len(found), found)
	}
}

// findDpkgQuery looks dpkg-query up in the PATH the command runs with, not
// in the caller's PATH.
func findDpkgQuery() (string, error) {
	for _, dir := range []string{"/usr/bin", "/bin"} {
		p := filepath.Join(dir, "dpkg-query")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("finding dpkg-query: not in /usr/bin or /bin")
}

// validDpkgName accepts Debian package names, optionally ":arch"
// qualified; it also keeps option-like arguments away from dpkg-query.
func validDpkgName(s string) bool {
	name, arch, qualified := strings.Cut(s, ":")
	if len(name) < 2 || !isLowerAlnum(name[0]) || (qualified && arch == "") {
		return false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !isLowerAlnum(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	for i := 0; i < len(arch); i++ {
		if c := arch[i]; !isLowerAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }
