// Package source obtains the pinned source tree of a project recipe: it
// downloads URL tarballs and takes Debian source packages (through a
// DebianFetcher that another package provides), keeps every file
// content-addressed in the cache (<cache>/sources/sha256/<hex>) after
// checking it against the recipe's pin, extracts tarballs with
// internal/tarball (which lets no entry out of the tree), and applies
// patches in order. A file already in the store is never fetched again, so
// a rebuild works offline. A file that is not in the store but lies, under
// its own name, in the recipe's folder (vendored: the mirror no longer
// serves it) is taken from there, through the same pin check as a download.
//
// It is a leaf: it imports only recipe and the helpers (atomicfile,
// tarball), and starts no process itself (patch runs through a Run value).
package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/digest"
	"github.com/fromscratch/fromscratch/internal/download"
	"github.com/fromscratch/fromscratch/internal/recipe"
)

// DebianFetcher downloads into dir, an empty directory, the files of the
// Debian source package pkg at version that files names (file name ->
// sha256, hex): the ones the store lacks. The store checks every file
// against its pin again as it keeps it, so a fetcher that checks nothing
// cannot spoil it.
type DebianFetcher func(ctx context.Context, pkg, version string, files map[string]string, dir string) error

// Store is the content-addressed store of source files under a cache
// directory, and how to fill it.
type Store struct {
	// Cache is the cache directory; files are kept under
	// <Cache>/sources/sha256/<hex>.
	Cache string
	// Client downloads URL sources; nil means http.DefaultClient.
	Client *http.Client
	// Stall is how long a download may receive nothing before it fails
	// (download.Get); 0: download.DefaultStall.
	Stall time.Duration
	// Debian fetches Debian source packages; nil when there is no way to
	// (a Debian source then has to be in the store already).
	Debian DebianFetcher
}

// Path is where the file with the given sha256 (hex) is kept.
func (s *Store) Path(hexDigest string) string {
	return filepath.Join(s.Cache, "sources", "sha256", hexDigest)
}

// DigestError is a file whose content does not match its pin.
type DigestError struct {
	What             string // the URL or the file name
	Expected, Actual string // "sha256:<hex>"
}

func (e *DigestError) Error() string {
	return fmt.Sprintf("%s does not match its pin: expected %s, got %s (nothing was kept or extracted)", e.What, e.Expected, e.Actual)
}

// has reports whether the store holds the file with digest h intact. A
// damaged file (its content no longer matches its name) is removed, so
// that it is fetched again.
func (s *Store) has(h string) bool {
	p := s.Path(h)
	got, err := digest.File(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil || got != h {
		os.Remove(p)
		return false
	}
	return true
}

// put copies r into the store under h when its content hashes to h, and
// otherwise keeps nothing: the bytes go to a .tmp- name first (atomicfile)
// and are renamed into place only once the digest is checked.
func (s *Store) put(what string, r io.Reader, h string) (string, error) {
	final := s.Path(h)
	err := atomicfile.WriteFrom(final, 0o644, func(w io.Writer) error {
		d := sha256.New()
		if _, err := io.Copy(io.MultiWriter(w, d), r); err != nil {
			return err
		}
		if got := hex.EncodeToString(d.Sum(nil)); got != h {
			return &DigestError{What: what, Expected: "sha256:" + h, Actual: "sha256:" + got}
		}
		return nil
	})
	if err != nil {
		var de *DigestError
		if errors.As(err, &de) {
			return "", de
		}
		return "", err
	}
	return final, nil
}

// vendored puts the copy of the pinned file name that the recipe folder
// dir holds (dir/name) into the store under h, through the same pin check
// as a download: a copy that does not match is a *DigestError naming it,
// and nothing is kept. found is false, with no error, when dir is "" or
// holds no such file; the caller then downloads it.
func (s *Store) vendored(dir, name, h string) (p string, found bool, err error) {
	if dir == "" || name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\") {
		return "", false, nil
	}
	f, err := os.Open(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	// Shown as recipes/<recipe>/<file>: where it is, without the machine's path.
	shown := path.Join(filepath.Base(filepath.Dir(dir)), filepath.Base(dir), name)
	if err != nil {
		return "", true, fmt.Errorf("reading the vendored %s: %w", shown, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return "", true, fmt.Errorf("the vendored %s is not a regular file", shown)
	}
	p, err = s.put(shown, f, h)
	return p, true, err
}

// FetchURL returns the path in the store of the file at rawURL whose
// sha256 is pin. A file already in the store
// is returned without any network access; else a file of the URL's last
// path element in dir (the recipe folder; "" for none) is taken, checked
// against the pin; else it is downloaded and kept only when it matches
// the pin (a *DigestError otherwise). An interrupted download leaves
// nothing under the final name, and the next call starts again.
func (s *Store) FetchURL(ctx context.Context, dir, rawURL string, pin recipe.SHA256) (string, error) {
	if pin.IsZero() {
		return "", fmt.Errorf("fetching %s: no sha256 pin", rawURL)
	}
	h := pin.Hex()
	if s.has(h) {
		return s.Path(h), nil
	}
	if u, err := url.Parse(rawURL); err == nil {
		if p, found, err := s.vendored(dir, path.Base(u.Path), h); found {
			if err != nil {
				return "", fmt.Errorf("fetching %s: %w", rawURL, err)
			}
			return p, nil
		}
	}
	resp, err := download.Get(ctx, s.Client, rawURL, s.Stall)
	if err != nil {
		return "", fmt.Errorf("fetching %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("fetching %s: %s", rawURL, resp.Status)
	}
	p, err := s.put(rawURL, resp.Body, h)
	if err != nil {
		return "", fmt.Errorf("fetching %s: %w", rawURL, err)
	}
	return p, nil
}

// FetchDebian returns the path in the store of each file of files (file
// name -> pin, a recipe's source.files) of the Debian source
// package pkg at version. Files already in the store need no fetcher and no
// network; nor do the files dir (the recipe folder; "" for none) holds
// under their own names, which are checked against their pins and kept;
// the Debian fetcher downloads the others into a temporary folder of the
// cache, and each is checked against its pin and kept.
func (s *Store) FetchDebian(ctx context.Context, dir, pkg, version string, files map[string]recipe.Pin) (map[string]string, error) {
	what := fmt.Sprintf("Debian source %s %s", pkg, version)
	names := make([]string, 0, len(files))
	digests := map[string]string{}
	for n, pin := range files {
		if pin.IsZero() {
			return nil, fmt.Errorf("fetching %s: %s: no sha256 pin", what, n)
		}
		names = append(names, n)
		digests[n] = pin.Hex()
	}
	sort.Strings(names)
	out := map[string]string{}
	var missing []string
	for _, n := range names {
		if s.has(digests[n]) {
			out[n] = s.Path(digests[n])
			continue
		}
		p, found, err := s.vendored(dir, n, digests[n])
		switch {
		case err != nil:
			return nil, fmt.Errorf("fetching %s: %w", what, err)
		case found:
			out[n] = p
		default:
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	if s.Debian == nil {
		return nil, fmt.Errorf("fetching %s: %s not in the source store and no Debian fetcher to get them", what, strings.Join(missing, ", "))
	}
	base := filepath.Join(s.Cache, "sources")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, fmt.Errorf("fetching %s: %w", what, err)
	}
	tmp, err := os.MkdirTemp(base, ".debian.tmp-")
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", what, err)
	}
	defer os.RemoveAll(tmp)
	want := map[string]string{}
	for _, n := range missing {
		want[n] = digests[n]
	}
	if err := s.Debian(ctx, pkg, version, want, tmp); err != nil {
		return nil, fmt.Errorf("fetching %s: %w", what, err)
	}
	for _, n := range missing {
		f, err := os.Open(filepath.Join(tmp, n))
		if err != nil {
			return nil, fmt.Errorf("fetching %s: the package has no file %s (it has: %s)", what, n, listDir(tmp))
		}
		p, err := s.put(n, f, digests[n])
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("fetching %s: %w", what, err)
		}
		out[n] = p
	}
	return out, nil
}

func listDir(dir string) string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) == 0 {
		return "nothing"
	}
	return strings.Join(names, ", ")
}
