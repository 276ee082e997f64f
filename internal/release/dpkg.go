package release

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Origin is the Debian package that installed a host file. Arch is empty
// when dpkg's list file carries no architecture qualifier (the cross
// libraries, e.g. libc6-arm64-cross, which are Architecture: all).
type Origin struct{ Package, Version, Arch string }

// Resolver finds the package origin of a host file.
type Resolver interface {
	Origin(hostPath string) (Origin, bool)
}

// NewDpkgResolver returns a Resolver backed by dpkg's database: the
// *.list files in dpkgInfoDir (normally /var/lib/dpkg/info) map paths to
// packages, and version(pkg) gives a package's version (DpkgVersion, or a
// fake in tests). version is called with the list file's name, e.g.
// "libc6:amd64", so that a package installed for several architectures is
// not ambiguous; its results are cached, and a failure leaves Version empty.
//
// The index is built once, on first use. Unreadable list files are skipped:
// their files resolve to no origin, which an SBOM records as unknown. The
// Resolver is safe for concurrent use.
func NewDpkgResolver(dpkgInfoDir string, version func(pkg string) (string, error)) Resolver {
	return &dpkgResolver{infoDir: dpkgInfoDir, version: version, versions: map[string]string{}}
}

type dpkgResolver struct {
	infoDir string
	version func(string) (string, error)

	once   sync.Once
	owners map[string]string // path as listed -> list name without ".list"

	mu       sync.Mutex
	versions map[string]string // list name -> version, "" when unknown
}

func (r *dpkgResolver) Origin(hostPath string) (Origin, bool) {
	r.once.Do(r.index)
	for _, p := range lookupPaths(hostPath) {
		if name, ok := r.owners[p]; ok {
			pkg, arch, _ := strings.Cut(name, ":")
			return Origin{Package: pkg, Version: r.versionOf(name), Arch: arch}, true
		}
	}
	return Origin{}, false
}

func (r *dpkgResolver) versionOf(name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.versions[name]
	if !ok {
		if got, err := r.version(name); err == nil {
			v = got
		}
		r.versions[name] = v
	}
	return v
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

// DpkgVersion returns the installed version of pkg ("libc6" or
// "libc6:amd64") from dpkg-query, run with PATH=/usr/bin:/bin and LC_ALL=C
// only, and a timeout.
func DpkgVersion(pkg string) (string, error) {
	if !validDpkgName(pkg) {
		return "", fmt.Errorf("querying dpkg for %q: not a package name", pkg)
	}
	bin, err := findDpkgQuery()
	if err != nil {
		return "", fmt.Errorf("querying dpkg for %s: %w", pkg, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-W", `--showformat=${Version}\n`, "--", pkg)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("dpkg-query -W %s: %w: %s", pkg, err, strings.TrimSpace(stderr.String()))
	}
	versions := strings.Fields(stdout.String())
	switch len(versions) {
	case 0:
		return "", fmt.Errorf("dpkg-query -W %s: no version (not installed?)", pkg)
	case 1:
		return versions[0], nil
	default:
		return "", fmt.Errorf("dpkg-query -W %s: %d versions %v, qualify the name with an architecture", pkg, len(versions), versions)
	}
}

// findDpkgQuery looks dpkg-query up in the PATH the command runs with, not
// in the caller's PATH (exec.Command would use the latter).
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
