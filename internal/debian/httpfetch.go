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
	"slices"
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

// urls are where the files ps are fetched from, in order: from the
// mirror (when set) each of ps, then from the archive (zero:
// DebianArchive) each of ps, each URL once.
func (f *Fetcher) urls(ps ...Package) []string {
	archive := f.Archive
	if archive == (Mirror{}) {
		archive = DebianArchive
	}
	var urls []string
	for _, m := range []Mirror{f.Mirror, archive} {
		if m == (Mirror{}) {
			continue
		}
		for _, p := range ps {
			if u := m.URL(p); !slices.Contains(urls, u) {
				urls = append(urls, u)
			}
		}
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
	urls := f.urls(p)
	var miss *missError
	switch err := f.first(ctx, urls, func(u string) error { return f.download(ctx, u, dst, p) }); {
	case err == nil:
		return dst, nil
	case !errors.As(err, &miss):
		return "", fmt.Errorf("fetching %s: %w", p, err)
	}
	lock := f.Lock
	if lock == "" {
		lock = "toolchains/" + RootLockFileName
	}
	pin := Pin{Name: p.Name, Version: p.Version, Architecture: p.Architecture, Source: p.Source,
		Filename: p.Filename, URL: urls[len(urls)-1], Size: p.Size, SHA256: p.SHA256}
	return "", &GoneError{Pin: pin, Cache: dst, NotFound: miss.NotFound, Output: miss.Output, Lock: lock}
}

// missError is a file none of the places gave: what each answered.
type missError struct {
	URLs     []string
	NotFound bool   // every place answered 404
	Output   string // each place's answer, "; "-separated
}

func (e *missError) Error() string { return e.Output }

// first calls get with each of urls in turn until one succeeds. It returns
// nil, ctx's error once ctx is done, or a *missError.
func (f *Fetcher) first(ctx context.Context, urls []string, get func(url string) error) error {
	var why []string
	notFound := true
	for _, u := range urls {
		err := get(u)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var se *statusError
		notFound = notFound && errors.As(err, &se) && se.code == http.StatusNotFound
		why = append(why, err.Error())
	}
	return &missError{URLs: urls, NotFound: notFound, Output: strings.Join(why, "; ")}
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
	body, err := f.open(ctx, url)
	if err != nil {
		return err
	}
	defer body.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+p.SHA256+".deb.tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(body, p.Size+1))
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

// open starts the download of url: its body, or a *statusError for an
// answer other than 200.
func (f *Fetcher) open(ctx context.Context, url string) (io.ReadCloser, error) {
	resp, err := download.Get(ctx, f.Client, url, f.Stall)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &statusError{url: url, code: resp.StatusCode}
	}
	return resp.Body, nil
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
