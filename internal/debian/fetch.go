package debian

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/internal/digest"
)

// DebPath is where the cache keeps a pinned file:
// <cacheDir>/debian/debs/sha256/<hex>.deb.
func DebPath(cacheDir string, p Pin) string {
	return debPath(cacheDir, p.SHA256)
}

func debPath(cacheDir, sha256 string) string {
	return filepath.Join(cacheDir, "debian", "debs", "sha256", sha256+".deb")
}

// UnpackedDir is where Unpack puts a pinned package's files:
// <cacheDir>/debian/unpacked/sha256/<hex>.
func UnpackedDir(cacheDir string, p Pin) string {
	return filepath.Join(cacheDir, "debian", "unpacked", "sha256", p.SHA256)
}

// GoneError is a pinned file that is neither in the cache nor fetchable.
type GoneError struct {
	Pin      Pin
	Cache    string // where the cache would keep it
	NotFound bool   // the mirror answered 404: it dropped the version
	Output   string // what each place answered
	Lock     string // the lock file that pins it; "": toolchains/runtime.lock.json
}

func (e *GoneError) Error() string {
	why := "could not be fetched from " + e.Pin.URL + " (" + e.Output + ")"
	advice := "if the mirror no longer has it (Debian's mirrors drop superseded security versions), refresh the pins with " + RefreshTarget()
	if e.NotFound {
		why = "can no longer be fetched: " + e.Pin.URL + " is gone (404 Not Found; Debian's mirrors drop superseded versions)"
		advice = "refresh the pins with " + RefreshTarget()
	}
	lock := e.Lock
	if lock == "" {
		lock = "toolchains/" + LockFileName
	}
	return fmt.Sprintf("pinned package %s (%s) %s and is not in the cache (%s): %s; fromscratch never fetches another version on its own",
		e.Pin, lock, why, e.Cache, advice)
}

// checkSHA256 is nil when the file at path has the sha256 want; an
// os.ErrNotExist error when there is no file.
func checkSHA256(path, want string) error {
	got, err := digest.File(path)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%s has sha256 %s, the pin says %s", path, got, want)
	}
	return nil
}

// Unpack returns the directory holding p's files (UnpackedDir), fetching
// the .deb with f and unpacking it in Go (extract) when it is not there
// yet. The directory is complete or absent: it is unpacked into a .tmp-
// sibling and renamed into place, and since its name is the sha256 of the
// checked .deb, an existing one is used as it is.
func Unpack(ctx context.Context, f *Fetcher, p Pin) (string, error) {
	dir := UnpackedDir(f.CacheDir, p)
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return dir, nil
	}
	deb, err := f.Fetch(ctx, p.Package())
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("unpacking %s: %w", p, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+p.SHA256+".tmp-")
	if err != nil {
		return "", fmt.Errorf("unpacking %s: %w", p, err)
	}
	defer os.RemoveAll(tmp)
	if err := extract(deb, tmp); err != nil {
		return "", fmt.Errorf("unpacking %s: %w", p, err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("unpacking %s: %w", p, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if fi, serr := os.Stat(dir); serr == nil && fi.IsDir() {
			return dir, nil // another build unpacked it first
		}
		return "", fmt.Errorf("unpacking %s: %w", p, err)
	}
	return dir, nil
}

// contents lists the regular files inside a .deb with their sha256, by
// path as the package installs it ("lib/aarch64-linux-gnu/libc.so.6"): it
// reads the package's data.tar, so the answer comes from the package, not
// from an unpacked copy.
func contents(deb string) (map[string]string, error) {
	d, err := openData(deb)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	files := map[string]string{}
	for {
		h, err := d.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading the files of %s: %w", filepath.Base(deb), err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		s := sha256.New()
		if _, err := io.Copy(s, d); err != nil {
			return nil, fmt.Errorf("reading the files of %s: %w", filepath.Base(deb), err)
		}
		files[strings.TrimPrefix(filepath.ToSlash(filepath.Clean(h.Name)), "/")] = hex.EncodeToString(s.Sum(nil))
	}
}

// cachedDeb says whether the store holds the file of sha256 at dst. A
// file of another sha256 there is removed; then dst's folder is made for
// the download of what (a package, for errors).
func cachedDeb(dst, sha256, what string) (bool, error) {
	if err := checkSHA256(dst, sha256); err == nil {
		return true, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		if rerr := os.Remove(dst); rerr != nil {
			return false, fmt.Errorf("removing the corrupt cached %s: %w", dst, rerr)
		}
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return false, fmt.Errorf("fetching %s: %w", what, err)
	}
	return false, nil
}
