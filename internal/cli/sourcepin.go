package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/source"
)

// SourcePin prints the [source] table that pins the Debian source package
// arg ("NAME" or "NAME=VERSION"): every file with its sha256 from the
// package's .dsc, fetched with the private source apt (never the system's
// configuration). The files go into the source store, so the recipe's
// first build needs no network. A mirror that serves the .dsc but not a
// file still gets the table printed, with the files to put beside
// recipe.toml, and a failure.
func (c *CLI) SourcePin(ctx context.Context, arg string) error {
	name, version, _ := strings.Cut(arg, "=")
	if !recipe.ValidDebianName(name) {
		return usageError{fmt.Errorf("source pin: %q is not a Debian source package name (allowed: lower-case letters, digits, + - and ., starting with a letter or digit)", name)}
	}
	if version != "" && !recipe.ValidDebianVersion(version) {
		return usageError{fmt.Errorf("source pin: %q is not a Debian version (allowed: the exact version, e.g. 1.6-2.1+deb12u2, or none for the newest)", version)}
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	dsc, err := pinDebian(ctx, cfg.CacheDir, pipeline.DebianRun(c.run), name, version)
	if dsc == nil {
		return fmt.Errorf("source pin %s: %w", arg, err)
	}
	fmt.Fprintf(c.out, "# %s %s (Format: %s)\n", dsc.Source, dsc.Version, dsc.Format)
	if dsc.BuildDepends != "" {
		fmt.Fprintf(c.out, "# Build-Depends: %s\n", dsc.BuildDepends)
	}
	fmt.Fprintln(c.out, "# Keep only the upstream tarball unless debian_patches = true.")
	fmt.Fprint(c.out, dsc.SourceTOML())
	if err != nil {
		return fmt.Errorf("source pin %s: the pins above come from the package's .dsc, but %w; a file the mirror does not serve can be put in the recipe folder under its name, where it is checked against its pin", arg, err)
	}
	return nil
}

// pinDebian downloads the Debian source package pkg at version (the
// suite's newest when version is "") with the private source apt, puts
// every file into the source store of cache after checking it against
// the .dsc, and returns the .dsc. When some file cannot be downloaded (a
// mirror missing it) the .dsc is still returned when it came, with the
// error.
func pinDebian(ctx context.Context, cache string, run debian.Run, pkg, version string) (*debian.Dsc, error) {
	base := filepath.Join(cache, "sources")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(base, ".debian"+pipeline.TempMark)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	apt := &debian.SourceApt{CacheDir: cache, Suite: pipeline.Suite, Run: run}
	dsc, err := apt.DownloadDsc(ctx, pkg, version, tmp)
	if dsc == nil || err != nil {
		return dsc, err
	}
	// The store takes each file from the download folder as it takes a
	// recipe folder's copies, keeping it only when it matches the .dsc:
	// the first build needs no network. No fetcher: it is all here.
	store := &source.Store{Cache: cache}
	pins, err := dsc.Pins()
	if err != nil {
		return dsc, err
	}
	if _, err := store.FetchDebian(ctx, tmp, dsc.Source, dsc.Version, pins); err != nil {
		return dsc, err
	}
	return dsc, nil
}
