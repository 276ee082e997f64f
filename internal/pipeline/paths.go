package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// cellDir is the cell's folder in out/bin.
func (b *Builder) cellDir(c recipe.Cell) string {
	return outdir.Path(b.opts.OutDir).Bin(c)
}

// rel names p relative to the repository when it is inside it.
func (b *Builder) rel(p string) string {
	return workspace.Rel(b.opts.Root, p)
}

// writableCache fails unless this process may write the cache dir (made
// when missing): every build writes its action cache, temporary files
// and unpacked packages there. It says so before any cell fails on it,
// and what to do: a user's cache may hold a build root another user
// assembled, never be another's whole.
func writableCache(dir string) error {
	probe := func() error {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		d, err := os.MkdirTemp(dir, ".writable-")
		if err != nil {
			return err
		}
		return os.Remove(d)
	}
	if err := probe(); err != nil {
		return fmt.Errorf("the cache %s is not writable by uid %d (%v): every build writes its action cache and temporary files there; "+
			"set FROMSCRATCH_CACHE to a cache of your own, which may hold a build root another user assembled (see the README's Without root)",
			dir, os.Geteuid(), err)
	}
	return nil
}

// buildTempRoot is where build steps get their work folders and TMPDIR:
// the cache's tmp/, unless its path holds a character that make and
// configure split or expand when they pass CFLAGS, CPPFLAGS and LDFLAGS
// through a shell (a space cut -ffile-prefix-map=<path> in two), then the
// system's temp folder. It is created.
func (b *Builder) buildTempRoot() (string, error) {
	cands := []string{filepath.Join(b.opts.CacheDir, "tmp"), os.TempDir(), "/tmp"}
	for _, d := range cands {
		if shellSafe(d) {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return "", fmt.Errorf("creating temp dir: %w", err)
			}
			return d, nil
		}
	}
	return "", fmt.Errorf("no temp folder without spaces or shell characters for build steps (tried %s): set TMPDIR to one",
		strings.Join(cands, ", "))
}

// shellSafe reports whether path can go into a flag that make or a
// configure script passes through a shell unquoted.
func shellSafe(path string) bool {
	return path != "" && !strings.ContainsFunc(path, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+,:@%=~", r))
	})
}
