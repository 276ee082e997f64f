package debian

import (
	"archive/tar"
	"bytes"
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
	Output   string // apt's words
	Lock     string // the lock file that pins it; "": toolchains/runtime.lock.json
}

func (e *GoneError) Error() string {
	why := "could not be fetched from " + e.Pin.URL + " (" + e.Output + ")"
	advice := "if the mirror no longer has it (Debian's mirrors drop superseded security versions), refresh the pins with " + RefreshTarget
	if e.NotFound {
		why = "can no longer be fetched: " + e.Pin.URL + " is gone (404 Not Found; Debian's mirrors drop superseded versions)"
		advice = "refresh the pins with " + RefreshTarget
	}
	lock := e.Lock
	if lock == "" {
		lock = "toolchains/" + LockFileName
	}
	return fmt.Sprintf("pinned package %s (%s) %s and is not in the cache (%s): %s; fromscratch never fetches another version on its own",
		e.Pin, lock, why, e.Cache, advice)
}

// Fetch returns the cached file of p, downloading it first when the cache
// does not hold it. A cached file whose sha256 is not the pinned one is
// removed and fetched again. The download is apt's own fetcher
// (apt-helper download-file, which honours apt.conf's proxies) on exactly
// the pinned URL and sha256: never another version. A file that cannot be
// fetched is a *GoneError.
func Fetch(ctx context.Context, run Run, cacheDir string, p Pin) (string, error) {
	dst := DebPath(cacheDir, p)
	if hit, err := cachedDeb(dst, p.SHA256, p.String()); hit || err != nil {
		return dst, err
	}
	f, err := os.CreateTemp(filepath.Dir(dst), "."+p.SHA256+".deb.tmp-")
	if err != nil {
		return "", fmt.Errorf("fetching %s: %w", p, err)
	}
	tmp := f.Name()
	f.Close()
	defer os.Remove(tmp)
	out, err := run(ctx, []string{"/usr/lib/apt/apt-helper", "download-file", p.URL, tmp, "SHA256:" + p.SHA256}, filepath.Dir(dst), Env)
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("fetching %s: %w", p, ctx.Err())
		}
		return "", &GoneError{Pin: p, Cache: dst, NotFound: strings.Contains(string(out), "404"), Output: lastError(out, err)}
	}
	if err := checkSHA256(tmp, p.SHA256); err != nil { // apt checked it; so do we
		return "", fmt.Errorf("fetching %s: %w", p, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return "", fmt.Errorf("fetching %s: %w", p, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return "", fmt.Errorf("fetching %s: %w", p, err)
	}
	return dst, nil
}

// lastError is the line of apt's output that says what went wrong.
func lastError(out []byte, err error) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); strings.HasPrefix(l, "E: Failed to fetch") || strings.HasPrefix(l, "Err:") {
			return strings.TrimPrefix(l, "E: ")
		}
	}
	return strings.TrimSpace(err.Error() + ": " + trimOutput(out))
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
// and unpacking the .deb with dpkg-deb -x when it is not there yet. The
// directory is complete or absent: it is unpacked into a .tmp- sibling and
// renamed into place, and since its name is the sha256 of the checked
// .deb, an existing one is used as it is.
func Unpack(ctx context.Context, run Run, cacheDir string, p Pin) (string, error) {
	dir := UnpackedDir(cacheDir, p)
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return dir, nil
	}
	deb, err := Fetch(ctx, run, cacheDir, p)
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
	if out, err := run(ctx, []string{"dpkg-deb", "-x", deb, tmp}, filepath.Dir(dir), Env); err != nil {
		return "", fmt.Errorf("dpkg-deb -x %s: %w: %s", filepath.Base(deb), err, trimOutput(out))
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

// Contents lists the regular files inside a .deb with their sha256, by
// path as the package installs it ("lib/aarch64-linux-gnu/libc.so.6"): it
// reads dpkg-deb --fsys-tarfile's output, so the answer comes from the
// package, not from an unpacked copy.
func Contents(ctx context.Context, run Run, deb string) (map[string]string, error) {
	out, err := run(ctx, []string{"dpkg-deb", "--fsys-tarfile", deb}, "", Env)
	if err != nil {
		return nil, fmt.Errorf("dpkg-deb --fsys-tarfile %s: %w: %s", filepath.Base(deb), err, trimOutput(out))
	}
	files := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(out))
	for {
		h, err := tr.Next()
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
		if _, err := io.Copy(s, tr); err != nil {
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
