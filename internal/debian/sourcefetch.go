package debian

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/fromscratch/fromscratch/internal/spell"
)

// SourcePinTarget refreshes a recipe's source pins; error messages name it.
func SourcePinTarget() string { return spell.Command("source:pin") }

// maxDsc bounds the download of a .dsc (a few kilobytes in practice).
const maxDsc = 1 << 20

// SourcePool is the folder of the source package pkg in the archive's
// pool: pool/main/<prefix>/<pkg>, where the prefix is pkg's first letter,
// or "lib" and the next letter for lib* packages (pool/main/libo/libonig).
func SourcePool(pkg string) string {
	prefix := pkg[:1]
	if strings.HasPrefix(pkg, "lib") && len(pkg) > 3 {
		prefix = pkg[:4]
	}
	return "pool/main/" + prefix + "/" + pkg
}

// DscName is the name of the .dsc of pkg at version:
// pkg_<version without its epoch>.dsc.
func DscName(pkg, version string) string {
	if _, v, ok := strings.Cut(version, ":"); ok {
		version = v
	}
	return pkg + "_" + version + ".dsc"
}

// sourceFile is the file name of the source package pkg at version, in
// the main pool and in the security archive's pool (pool/updates/main/),
// where a security update is until a point release takes it.
func sourceFile(pkg, version, name string, size int64, sum string) (main, security Package) {
	main = Package{Name: pkg, Version: version, Architecture: SourceArch, Source: pkg,
		Filename: SourcePool(pkg) + "/" + name, Size: size, SHA256: sum}
	security = main
	security.Filename = "pool/updates/" + strings.TrimPrefix(main.Filename, "pool/")
	return main, security
}

// SourceGoneError is a file of a pinned source package that no place
// serves.
type SourceGoneError struct {
	Source, Version, File string
	URLs                  []string // every place tried, in order
	NotFound              bool     // every place answered 404
	Output                string   // what each place answered
}

func (e *SourceGoneError) Error() string {
	why := "could not be fetched (" + e.Output + ")"
	if e.NotFound {
		why = "is gone (404 Not Found at " + strings.Join(e.URLs, ", ") + "; Debian's mirrors drop superseded versions)"
	}
	return fmt.Sprintf("%s of the Debian source %s %s %s: refresh the recipe's pins with %s %s (the suite's newest version), or put the file beside recipe.toml, where it is checked against its pin; fromscratch never fetches another version on its own",
		e.File, e.Source, e.Version, why, SourcePinTarget(), e.Source)
}

// FetchSource downloads into dir the files of the Debian source package
// pkg at version that want names (file name -> sha256, hex), by pool path
// and in Go (the host needs no apt): each from the mirror's main pool and
// security pool, then the archive's. The package's .dsc comes first: it
// lists every file's size and sha256, and a wanted file it does not list,
// or lists with another sha256, is refused before any download (the pin is
// not of this version). A file is kept only at the .dsc's size and the
// pin's sha256, and a .dsc that want names is checked against its pin. A
// file no place has is a *SourceGoneError.
func (f *Fetcher) FetchSource(ctx context.Context, pkg, version string, want map[string]string, dir string) error {
	dsc, err := f.fetchDsc(ctx, pkg, version, want, dir)
	if err != nil {
		return err
	}
	files, err := pinnedFiles(dsc, want)
	if err != nil {
		return err
	}
	for _, file := range files {
		main, security := sourceFile(pkg, version, file.Name, file.Size, file.SHA256)
		dst := filepath.Join(dir, file.Name)
		err := f.first(ctx, f.urls(main, security), func(u string) error { return f.download(ctx, u, dst, main) })
		if err != nil {
			return sourceGone(pkg, version, file.Name, err)
		}
	}
	return nil
}

// pinnedFiles are the files of dsc that want pins (less the .dsc), in
// name order; a pinned file the .dsc does not list, or lists with another
// sha256, is refused.
func pinnedFiles(dsc *Dsc, want map[string]string) ([]DscFile, error) {
	names := make([]string, 0, len(want))
	for n := range want {
		if n != DscName(dsc.Source, dsc.Version) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var files []DscFile
	for _, n := range names {
		i := slices.IndexFunc(dsc.Files, func(d DscFile) bool { return d.Name == n })
		switch {
		case i < 0:
			return nil, fmt.Errorf("the Debian source %s %s has no file %s (its .dsc lists %s): the recipe's pins are not of this version; refresh them with %s %s",
				dsc.Source, dsc.Version, n, dscNames(dsc), SourcePinTarget(), dsc.Source)
		case dsc.Files[i].SHA256 != want[n]:
			return nil, fmt.Errorf("the recipe pins %s of the Debian source %s %s at sha256:%s, but the package's .dsc lists sha256:%s: the pin is not of this version; refresh it with %s %s",
				n, dsc.Source, dsc.Version, want[n], dsc.Files[i].SHA256, SourcePinTarget(), dsc.Source)
		}
		files = append(files, dsc.Files[i])
	}
	return files, nil
}

// fetchDsc downloads and reads the .dsc of pkg at version from the first
// place that serves one of that package and version (and, when want pins
// the .dsc, of that sha256, which is then written into dir).
func (f *Fetcher) fetchDsc(ctx context.Context, pkg, version string, want map[string]string, dir string) (*Dsc, error) {
	name := DscName(pkg, version)
	main, security := sourceFile(pkg, version, name, 0, "")
	var dsc *Dsc
	err := f.first(ctx, f.urls(main, security), func(u string) error {
		data, err := f.readSmall(ctx, u, maxDsc)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		if pin, ok := want[name]; ok && hex.EncodeToString(sum[:]) != pin {
			return fmt.Errorf("%s: got sha256 %x, the recipe pins %s", u, sum, pin)
		}
		d, err := ParseDsc(data, u)
		if err != nil {
			return err
		}
		if d.Source != pkg || d.Version != version {
			return fmt.Errorf("%s is the .dsc of %s %s", u, d.Source, d.Version)
		}
		if _, ok := want[name]; ok {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				return err
			}
		}
		dsc = d
		return nil
	})
	if err != nil {
		return nil, sourceGone(pkg, version, name, err)
	}
	return dsc, nil
}

// readSmall reads url's body, refusing one longer than limit.
func (f *Fetcher) readSmall(ctx context.Context, url string, limit int64) ([]byte, error) {
	body, err := f.open(ctx, url)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: longer than %d bytes", url, limit)
	}
	return data, nil
}

// sourceGone turns first's *missError for the file name of pkg into a
// *SourceGoneError; other errors (ctx's) are wrapped.
func sourceGone(pkg, version, name string, err error) error {
	var miss *missError
	if !errors.As(err, &miss) {
		return fmt.Errorf("fetching %s of the Debian source %s %s: %w", name, pkg, version, err)
	}
	return &SourceGoneError{Source: pkg, Version: version, File: name, URLs: miss.URLs, NotFound: miss.NotFound, Output: miss.Output}
}

func dscNames(d *Dsc) string {
	var names []string
	for _, f := range d.Files {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}
