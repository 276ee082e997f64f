package debian

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/fromscratch/fromscratch/internal/download"
)

// Fetcher downloads pinned package files over HTTP, in Go (the host needs
// no apt), into the cache's content-addressed .deb store (DebPath), the
// same store the runtime packages use.
type Fetcher struct {
	CacheDir string
	// Mirror is the machine's Debian mirror, tried first; the zero
	// Mirror skips it.
	Mirror Mirror
	// Archive is tried when the mirror fails; zero: DebianArchive.
	Archive Mirror
	// Client does the requests; nil: http.DefaultClient.
	Client *http.Client
	// Stall is how long a download may receive nothing before it fails
	// (download.Get); 0: download.DefaultStall.
	Stall time.Duration
	// Jobs is how many files FetchAll downloads at once; 0: 4.
	Jobs int
	// Lock names the lock file in errors; "": toolchains/buildroot.lock.json.
	Lock string
}

// MachineFetcher is the Fetcher of cacheDir that tries the machine's
// mirror of suite first, as sources name it (nil: SourceFiles are read),
// then Debian's archive; sources naming no mirror of suite leave the
// archive alone.
func MachineFetcher(cacheDir string, sources []byte, suite string) *Fetcher {
	if sources == nil {
		sources = MachineSources()
	}
	mirror, _ := ParseSources(sources, suite) // none: the archive alone
	return &Fetcher{CacheDir: cacheDir, Mirror: mirror}
}

// urls are the places p is fetched from, in order.
func (f *Fetcher) urls(p Package) []string {
	archive := f.Archive
	if archive == (Mirror{}) {
		archive = DebianArchive
	}
	var urls []string
	if f.Mirror != (Mirror{}) {
		urls = append(urls, f.Mirror.URL(p))
	}
	if u := archive.URL(p); len(urls) == 0 || u != urls[0] {
		urls = append(urls, u)
	}
	return urls
}

// Fetch returns the cached file of p, downloading it first when the cache
// does not hold it or holds a file whose sha256 is not p's (which is
// removed). It tries the mirror, then the archive, and keeps only a file
// of p's size and sha256: never another version. A file no place has is a
// *GoneError naming p and the refresh target.
func (f *Fetcher) Fetch(ctx context.Context, p Package) (string, error) {
	dst := debPath(f.CacheDir, p.SHA256)
	if hit, err := cachedDeb(dst, p.SHA256, p.String()); hit || err != nil {
		return dst, err
	}
	var why []string
	notFound := true
	urls := f.urls(p)
	for _, u := range urls {
		err := f.download(ctx, u, dst, p)
		if err == nil {
			return dst, nil
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("fetching %s: %w", p, ctx.Err())
		}
		var se *statusError
		notFound = notFound && errors.As(err, &se) && se.code == http.StatusNotFound
		why = append(why, err.Error())
	}
	lock := f.Lock
	if lock == "" {
		lock = "toolchains/" + RootLockFileName
	}
	pin := Pin{Name: p.Name, Version: p.Version, Architecture: p.Architecture, Source: p.Source,
		Filename: p.Filename, URL: urls[len(urls)-1], Size: p.Size, SHA256: p.SHA256}
	return "", &GoneError{Pin: pin, Cache: dst, NotFound: notFound, Output: strings.Join(why, "; "), Lock: lock}
}

// statusError is an HTTP answer other than 200.
type statusError struct {
	url  string
	code int
}

func (e *statusError) Error() string { return fmt.Sprintf("%s: %s", e.url, http.StatusText(e.code)) }

// download gets url into a temporary sibling of dst and renames it into
// place once its size and sha256 are p's.
func (f *Fetcher) download(ctx context.Context, url, dst string, p Package) error {
	resp, err := download.Get(ctx, f.Client, url, f.Stall)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &statusError{url: url, code: resp.StatusCode}
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+p.SHA256+".deb.tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, p.Size+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	switch sum := hex.EncodeToString(h.Sum(nil)); {
	case err != nil:
		return fmt.Errorf("%s: %w", url, err)
	case n != p.Size || sum != p.SHA256:
		return fmt.Errorf("%s: got %d bytes with sha256 %s, the pin says %d bytes with sha256 %s", url, n, sum, p.Size, p.SHA256)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// FetchAll fetches every package, Jobs at a time, and returns their
// cached files in the order of pkgs. The first error stops the others.
func (f *Fetcher) FetchAll(ctx context.Context, pkgs []Package) ([]string, error) {
	files := make([]string, len(pkgs))
	g, ctx := errgroup.WithContext(ctx)
	jobs := f.Jobs
	if jobs <= 0 {
		jobs = 4
	}
	g.SetLimit(jobs)
	for i, p := range pkgs {
		g.Go(func() error {
			var err error
			files[i], err = f.Fetch(ctx, p)
			return err
		})
	}
	return files, g.Wait()
}
