package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// shareWay is one way of building a dynamic cell after its static one:
// with the compile results the static cell's configure shared, or alone
// (without them: each linkage on its own, as before the linkages shared).
type shareWay struct {
	Name      string
	Configure time.Duration
	Wall      time.Duration
	Cached    int    // "(cached)" lines in the cell's build.log
	Binary    []byte // the dynamic cell's binary
	Compile   int    // entries in the compile cache the configure started from
	// Differ names the compile results (toolchain.SplitConfigCache) that
	// the static and the dynamic configure found differently, of Compared
	// found by both: measured in the alone way, where both start empty.
	Differ   []string
	Compared int
}

// shareRow is a program's dynamic cell measured both ways.
type shareRow struct {
	Cell  recipe.Cell
	Ways  [2]shareWay // shared, alone
	Error error
}

// Configure measures what sharing the compile results of configure
// between the linkages saves: per real program and per toolchain and
// platform, the static cell is built in a fresh cache, then the dynamic
// cell, with the action cache off, from the configure cache the static
// cell left (shared) and from that without the compile results (alone),
// the ways taking turns (shareCell). It prints configure's time and the
// wall time of the dynamic cell, the "(cached)" lines of its build.log,
// whether the two ways' binaries are the same bytes, and whether the
// static and the dynamic configure found any compile result differently.
// Defaults: gnuhello and jq, gcc, linux/amd64.
func (s Suite) Configure(ctx context.Context) error {
	opts := s.Options
	if len(opts.Recipes) == 0 {
		opts.Recipes = []string{"gnuhello", "jq"}
	}
	opts, programs, base, err := realSetup(opts, "configure", recipe.AMD64)
	if err != nil {
		return err
	}
	defer os.RemoveAll(base)
	shared := opts.CacheDir
	var rows []shareRow
	var errs []error
	for _, name := range programs {
		for _, tc := range opts.Toolchains {
			for _, pl := range opts.Platforms {
				o := opts
				o.Recipes, o.Toolchains, o.Platforms = []string{name}, []string{tc}, []recipe.Platform{pl}
				row := shareRow{Cell: recipe.Cell{Recipe: name, Platform: pl, Toolchain: tc, Linkage: recipe.Dynamic}}
				row.Error = s.shareCell(ctx, o, shared, filepath.Join(base, name, tc, pl.Dir()), &row)
				if row.Error != nil {
					errs = append(errs, row.Error)
					fmt.Fprintf(s.Out, "bench:configure: %v\n", row.Error)
					continue
				}
				rows = append(rows, row)
				fmt.Fprintf(s.Out, "bench:configure: %s done\n", row.Cell)
				printShare(s.Out, []shareRow{row}) // kept if a later program fails or the run is stopped
			}
		}
	}
	if len(rows) > 1 {
		fmt.Fprintln(s.Out, "bench:configure: all programs")
		printShare(s.Out, rows)
	}
	return errors.Join(errs...)
}

// configureRounds is how many times each way builds the dynamic cell,
// the two ways taking turns (shared first in odd rounds, alone first in
// even ones), so that a machine's changing load falls on both.
const configureRounds = 2

// shareCell builds row's static cell in a fresh cache under dir, then
// its dynamic cell configureRounds times each way, from the configure
// cache the static cell left (shared) or from that without the compile
// results (alone), with the action cache off; it adds up each way's times.
func (s Suite) shareCell(ctx context.Context, o pipeline.Options, shared, dir string, row *shareRow) error {
	o.CacheDir, o.OutDir = filepath.Join(dir, "cache"), filepath.Join(dir, "out")
	if err := linkShared(shared, o.CacheDir); err != nil {
		return err
	}
	static := row.Cell
	static.Linkage = recipe.Static
	o.Linkages = []recipe.Linkage{recipe.Static}
	rep, err := pipeline.New(o, pipeline.WithRunner(s.Run)).Build(ctx)
	if err := cellErrors(rep, err); err != nil {
		return fmt.Errorf("%s: %w", static, err)
	}
	staticLog, _ := os.ReadFile(filepath.Join(outdir.Path(o.OutDir).Bin(static), "config.log"))
	conf := filepath.Join(o.CacheDir, "configure")
	left, err := filepath.Glob(filepath.Join(conf, "*.cache"))
	if err != nil {
		return err
	}
	snapshot := map[string][]byte{} // what the static cell left
	for _, f := range left {
		if snapshot[f], err = os.ReadFile(f); err != nil {
			return err
		}
	}
	row.Ways[0].Name, row.Ways[1].Name = "shared", "alone"
	o.Linkages, o.NoCache = []recipe.Linkage{recipe.Dynamic}, true
	for r := range configureRounds {
		order := []int{0, 1}
		if r%2 == 1 {
			order = []int{1, 0}
		}
		for _, i := range order {
			w := &row.Ways[i]
			now, _ := filepath.Glob(filepath.Join(conf, "*.cache"))
			for _, f := range now {
				if err := os.Remove(f); err != nil {
					return err
				}
			}
			for f, data := range snapshot {
				if strings.HasSuffix(f, "_compile.cache") {
					w.Compile = bytes.Count(data, []byte("\n"))
					if i == 1 {
						w.Compile = 0
						continue
					}
				}
				if err := os.WriteFile(f, data, 0o644); err != nil {
					return err
				}
			}
			if err := s.measureDynamic(ctx, o, row.Cell, w, i == 1, staticLog); err != nil {
				return fmt.Errorf("%s, %s: %w", row.Cell, w.Name, err)
			}
		}
	}
	return nil
}

// measureDynamic builds the dynamic cell and adds its configure and wall
// time to w; it keeps the cell's "(cached)" lines and binary, and, when
// compare is set, compares its compile results with the static cell's.
func (s Suite) measureDynamic(ctx context.Context, o pipeline.Options, cell recipe.Cell, w *shareWay, compare bool, staticLog []byte) error {
	t, rep, err := timedBuild(ctx, o, s.Run)
	w.Wall += t.Wall
	w.Configure += t.Configure
	if err := cellErrors(rep, err); err != nil {
		return err
	}
	bin := outdir.Path(o.OutDir).Bin(cell)
	log, err := os.ReadFile(filepath.Join(bin, "build.log"))
	if err != nil {
		return err
	}
	w.Cached = bytes.Count(log, []byte("(cached)"))
	if compare {
		dynamicLog, _ := os.ReadFile(filepath.Join(bin, "config.log"))
		w.Compared, w.Differ = compareCompileResults(staticLog, dynamicLog)
	}
	w.Binary, err = os.ReadFile(filepath.Join(bin, cell.Recipe))
	return err
}

// compareCompileResults compares the compile results in the "Cache
// variables" of two config.logs: how many both hold, and the names of
// those whose values differ.
func compareCompileResults(a, b []byte) (int, []string) {
	ca, cb := compileResults(a), compileResults(b)
	n := 0
	var differ []string
	for _, k := range slices.Sorted(maps.Keys(ca)) {
		if v, ok := cb[k]; ok {
			n++
			if v != ca[k] {
				differ = append(differ, k)
			}
		}
	}
	return n, differ
}

// compileResults are the compile results among the cache variables that
// config.log lists, by name.
func compileResults(configLog []byte) map[string]string {
	_, vars, _ := bytes.Cut(configLog, []byte("## Cache variables. ##\n"))
	_, vars, _ = bytes.Cut(vars, []byte("\n")) // the line of dashes under it
	var entries []byte
	for _, line := range bytes.Split(vars, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("## ")) {
			break
		}
		entries = append(append(entries, line...), '\n')
	}
	compile, _ := toolchain.SplitConfigCache(entries)
	out := map[string]string{}
	for _, line := range strings.Split(string(compile), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

// printShare prints per dynamic cell both ways' configure and wall time
// and cached checks, shared over alone, and whether the binaries are the
// same bytes.
func printShare(w io.Writer, rows []shareRow) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "each way's times are the sum of %d builds of the dynamic cell, the ways taking turns\n", configureRounds)
	fmt.Fprintln(tw, "CELL\tWAY\tCOMPILE RESULTS\tCACHED\tCONFIGURE\tWALL\tCONFIGURE / ALONE\t")
	var conf [2]time.Duration
	for _, r := range rows {
		for i, way := range r.Ways {
			cell := ""
			if i == 0 {
				cell = r.Cell.String()
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%.2f\t\n", cell, way.Name, way.Compile, way.Cached,
				secs(way.Configure), secs(way.Wall), ratio(way.Configure, r.Ways[1].Configure))
			conf[i] += way.Configure
		}
	}
	tw.Flush()
	same := 0
	for _, r := range rows {
		if bytes.Equal(r.Ways[0].Binary, r.Ways[1].Binary) {
			same++
		} else {
			fmt.Fprintf(w, "%s: the binaries differ between the ways (%d and %d bytes)\n", r.Cell, len(r.Ways[0].Binary), len(r.Ways[1].Binary))
		}
	}
	for _, r := range rows {
		alone := r.Ways[1]
		fmt.Fprintf(w, "%s: compile results found by both linkages' configure alone: %d, of which differ: %d %v\n", r.Cell, alone.Compared, len(alone.Differ), alone.Differ)
	}
	fmt.Fprintf(w, "configure shared / alone = %.2f over %d dynamic cells (saved %s); same binary both ways: %d of %d\n",
		ratio(conf[0], conf[1]), len(rows), secs(conf[1]-conf[0]), same, len(rows))
}
