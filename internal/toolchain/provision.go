package toolchain

import (
	"context"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fromscratch/fromscratch/internal/tarball"
)

// NpmDir is where the npm-provisioned binaries of d live under cache:
// <cache>/<name>/<version>/<bin>, e.g. ~/.cache/fromscratch/zig/0.11.0/package.
func (d *Definition) NpmDir(cache string) string {
	if d.Provision.Npm == "" {
		return ""
	}
	_, ver := d.Provision.Package()
	return filepath.Join(cache, d.Name, ver, d.Provision.Bin)
}

// SearchDirs is where the binaries of the definitions are looked for: the
// npm install dirs in the cache, then hostPath (the host PATH), then the system dirs.
func SearchDirs(defs []*Definition, cache string, hostPath []string) []string {
	var dirs []string
	for _, d := range defs {
		if dir := d.NpmDir(cache); dir != "" {
			dirs = append(dirs, dir)
		}
	}
	dirs = append(dirs, hostPath...)
	return append(dirs, SystemPath...)
}

// AptPackages is the sorted union of the Debian packages of every target.
func AptPackages(defs []*Definition, extra ...string) []string {
	set := map[string]bool{}
	for _, p := range extra {
		set[p] = true
	}
	for _, d := range defs {
		for _, t := range d.Targets {
			for _, p := range t.Apt {
				set[p] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// CheckIntegrity compares data with an npm "sha512-<base64>" integrity.
func CheckIntegrity(data []byte, integrity string) error {
	sum := sha512.Sum512(data)
	got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
	if got != integrity {
		return fmt.Errorf("integrity mismatch: got %s, pinned %s", got, integrity)
	}
	return nil
}

// InstallNpm provisions d from its npm package into the cache: `npm pack`
// fetches the tarball, its sha512 is checked against the pinned integrity,
// and it is unpacked into a temp dir renamed into place. Idempotent: an
// existing install is kept.
func InstallNpm(ctx context.Context, run Runner, d *Definition, cache string, env []string) (string, error) {
	bin := d.NpmDir(cache)
	if bin == "" {
		return "", nil
	}
	final := filepath.Dir(bin) // <cache>/<name>/<version>
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return "", fmt.Errorf("creating cache dir: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(final), ".install-")
	if err != nil {
		return "", fmt.Errorf("creating temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	npm, err := LookPath("npm", append(pathOf(env), SystemPath...))
	if err != nil {
		return "", fmt.Errorf("installing %s: %w (apt-get install npm)", d.Provision.Npm, err)
	}
	out, err := run(ctx, Command{Args: []string{npm, "pack", "--silent", d.Provision.Npm}, Dir: tmp}, env)
	if err != nil {
		return "", fmt.Errorf("npm pack %s: %w: %s", d.Provision.Npm, err, strings.TrimSpace(string(out)))
	}
	tgzs, _ := filepath.Glob(filepath.Join(tmp, "*.tgz"))
	if len(tgzs) != 1 {
		return "", fmt.Errorf("npm pack %s: expected one tarball, found %d", d.Provision.Npm, len(tgzs))
	}
	data, err := os.ReadFile(tgzs[0])
	if err != nil {
		return "", fmt.Errorf("reading npm tarball: %w", err)
	}
	if err := CheckIntegrity(data, d.Provision.Integrity); err != nil {
		return "", fmt.Errorf("checking %s (toolchains/%s provision.integrity): %w", d.Provision.Npm, d.File, err)
	}
	unpacked := filepath.Join(tmp, "root")
	if err := tarball.Extract(tgzs[0], unpacked, 0); err != nil {
		return "", fmt.Errorf("unpacking %s: %w", d.Provision.Npm, err)
	}
	if err := os.Rename(unpacked, final); err != nil {
		return "", fmt.Errorf("moving %s into the cache: %w", d.Provision.Npm, err)
	}
	return bin, nil
}

// pathOf is the PATH of an environment, split.
func pathOf(env []string) []string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			return filepath.SplitList(v)
		}
	}
	return nil
}
