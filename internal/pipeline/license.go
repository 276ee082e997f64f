package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/release"
	"github.com/fromscratch/fromscratch/internal/source"
	"github.com/fromscratch/fromscratch/internal/tarball"
)

// copyrightLimit is the most of a copyright file that is read: glibc's,
// the longest of bookworm's, is about 25 KiB.
const copyrightLimit = 1 << 20

// RecipeLicense is the licence of what r builds: its license field when
// it has one (validated when the recipe was loaded); else, for a Debian
// source, the SPDX expression its debian/copyright gives (read from the
// pinned .debian.tar.*, which store fetches if it lacks it, so the answer
// depends on the pins alone); else none, with why. A licence is never
// guessed: a copyright file that is not in Debian's machine-readable
// format, or that names a licence SPDX has no identifier for, gives none.
func RecipeLicense(ctx context.Context, store *source.Store, r *recipe.Recipe) (release.License, error) {
	if r.License != "" {
		return release.License{Expr: r.License}, nil
	}
	s := r.Source
	if s.Kind() != recipe.SourceDebian {
		return release.License{Expr: release.NoAssertion, Problem: fmt.Sprintf("recipe %s declares no license (recipe.toml's license, an SPDX expression)", r.Name)}, nil
	}
	name := s.DebianTarball()
	what := fmt.Sprintf("Debian source %s %s", s.Debian, s.Version)
	if name == "" {
		return release.License{Expr: release.NoAssertion, Problem: fmt.Sprintf("recipe %s: %s: no .debian.tar.* pinned, so no debian/copyright (give the recipe a license)", r.Name, what)}, nil
	}
	files, err := store.FetchDebian(ctx, r.Dir, s.Debian, s.Version, map[string]recipe.Pin{name: s.Files[name]})
	if err != nil {
		return release.License{}, fmt.Errorf("the licence of recipe %s: %w", r.Name, err)
	}
	data, found, err := tarball.ReadFile(files[name], func(n string) bool { return path.Clean(n) == "debian/copyright" }, copyrightLimit)
	if err != nil {
		return release.License{}, fmt.Errorf("the licence of recipe %s: %w", r.Name, err)
	}
	if !found {
		return release.License{Expr: release.NoAssertion, Problem: fmt.Sprintf("recipe %s: %s has no debian/copyright", r.Name, name)}, nil
	}
	return release.CopyrightLicense(fmt.Sprintf("%s: debian/copyright", what), data), nil
}

// licenses are the licences of a run's recipes, each read once.
type licenses struct {
	mu sync.Mutex
	by map[string]release.License
}

// license is RecipeLicense of r, once per run.
func (b *Builder) license(ctx context.Context, r *recipe.Recipe) (release.License, error) {
	b.lic.mu.Lock()
	defer b.lic.mu.Unlock()
	if l, ok := b.lic.by[r.Name]; ok {
		return l, nil
	}
	l, err := RecipeLicense(ctx, b.sources(), r)
	if err != nil {
		return l, err
	}
	if b.lic.by == nil {
		b.lic.by = map[string]release.License{}
	}
	b.lic.by[r.Name] = l
	return l, nil
}

// DebLicenses gives the licence of a Debian binary package from its
// /usr/share/doc/<package>/copyright, looked for in each of dirs in turn
// (the unpacked packages of a pinned runtime, the build root), read
// inside that directory only (a symlink out of it is not followed).
// A package with no copyright file in any of them has none, with why.
func DebLicenses(dirs ...string) func(pkg string) release.License {
	var mu sync.Mutex
	memo := map[string]release.License{}
	return func(pkg string) release.License {
		mu.Lock()
		defer mu.Unlock()
		if l, ok := memo[pkg]; ok {
			return l
		}
		l := debLicense(pkg, dirs)
		memo[pkg] = l
		return l
	}
}

func debLicense(pkg string, dirs []string) release.License {
	name := strings.SplitN(pkg, ":", 2)[0] // libc6-dev:amd64
	rel := path.Join("usr/share/doc", name, "copyright")
	for _, d := range dirs {
		data, err := readIn(d, rel)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return release.License{Expr: release.NoAssertion, Problem: fmt.Sprintf("%s: /%s: %v", name, rel, err)}
		}
		return release.CopyrightLicense(fmt.Sprintf("%s: /%s", name, rel), data)
	}
	return release.License{Expr: release.NoAssertion, Problem: fmt.Sprintf("%s: no /%s", name, rel)}
}

// readIn reads rel inside dir, its symlinks resolved within dir.
func readIn(dir, rel string) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, copyrightLimit))
}
