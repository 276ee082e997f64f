// Package pipeline orchestrates fromscratch: it turns the matrix of cells
// (recipe x platform x toolchain x linkage) into binaries, checks their
// linkage, resolves their shared-library closure, packs scratch images and
// size rows. Each cell goes through a fixed, ordered list of small steps;
// one failing cell never stops the others.
package pipeline

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// Config says where things are and how to run. It is read-only once a run
// starts; steps pass results forward explicitly instead of writing to it.
type Config struct {
	Root     string // repository root, holding recipes/ and toolchains/
	OutDir   string // out/
	CacheDir string // outside the repository
	Jobs     int    // parallel cells; 0 = number of CPUs
	// Recipes limits the run to these recipes; empty = all.
	Recipes []string
	// Platforms limits the run to these platforms; empty = all.
	Platforms []recipe.Platform
	// RequireAll turns an unavailable toolchain into a failure (CI).
	RequireAll bool
	// Smoke runs every image after building it when an engine is usable.
	Smoke bool
	Log   io.Writer // progress and summary
	// Interactive draws a live status line instead of plain lines.
	Interactive bool
	Verbose     bool
	// ReuseBinaries packs images from the binaries already in out/bin
	// instead of compiling (image:all, image:run).
	ReuseBinaries bool
	// NoCache builds every cell even when the action cache has it.
	NoCache bool
	// BuildDate is the one date every artifact carries.
	BuildDate time.Time
}

// DefaultConfig fills a Config for the repository at root from the
// environment: SOURCE_DATE_EPOCH, FROMSCRATCH_OUT, FROMSCRATCH_JOBS,
// FROMSCRATCH_REQUIRE_ALL, FROMSCRATCH_SMOKE, FROMSCRATCH_NO_CACHE.
func DefaultConfig(root string, cache string, log io.Writer) (Config, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return Config{}, fmt.Errorf("resolving root: %w", err)
	}
	date, err := BuildDate(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return Config{}, err
	}
	jobs := runtime.NumCPU()
	if s := os.Getenv("FROMSCRATCH_JOBS"); s != "" {
		if jobs, err = strconv.Atoi(s); err != nil || jobs < 1 {
			return Config{}, fmt.Errorf("FROMSCRATCH_JOBS=%q: want a positive number of parallel cells", s)
		}
	}
	out := filepath.Join(abs, "out")
	if o := os.Getenv("FROMSCRATCH_OUT"); o != "" {
		if out, err = filepath.Abs(o); err != nil {
			return Config{}, fmt.Errorf("FROMSCRATCH_OUT=%q: %w", o, err)
		}
	}
	return Config{
		Root:       abs,
		OutDir:     out,
		CacheDir:   cache,
		Jobs:       jobs,
		RequireAll: os.Getenv("FROMSCRATCH_REQUIRE_ALL") == "1",
		Smoke:      os.Getenv("FROMSCRATCH_SMOKE") != "0",
		NoCache:    os.Getenv("FROMSCRATCH_NO_CACHE") == "1",
		Log:        log,
		BuildDate:  date,
	}, nil
}

// DefaultEpoch is the build date when SOURCE_DATE_EPOCH is not set:
// 2024-01-01T00:00:00Z. It is a constant, not the clock and not a file's
// mtime (a fresh clone's mtimes are the checkout time), so two builds of the
// same inputs agree without any setting. Release builds set
// SOURCE_DATE_EPOCH, usually to the commit time.
const DefaultEpoch = 1704067200

// BuildDate is the one function that decides the build date: the value of
// SOURCE_DATE_EPOCH if set, else DefaultEpoch.
func BuildDate(sourceDateEpoch string) (time.Time, error) {
	if sourceDateEpoch == "" {
		return time.Unix(DefaultEpoch, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(sourceDateEpoch, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since 1970 as a non-negative integer", sourceDateEpoch)
	}
	return time.Unix(n, 0).UTC(), nil
}
