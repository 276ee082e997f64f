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
// (that file removed first: each linkage on its own, as before the
// linkages shared).
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
// platform, the static cell is built, then the dynamic cell with the
// static cell's compile results (shared) and, in another fresh cache,
// without them (alone), side by side in one run. It prints configure's
// time and the wall time of the dynamic cell, the "(cached)" lines of
// its build.log, and whether the two ways' binaries are the same bytes.
// Defaults: gnuhello and jq, gcc, linux/amd64.
func (s Suite) Configure(ctx context.Context) error {
	opts := s.Options
	if len(opts.Recipes) == 0 {
		opts.Recipes = []string{"gnuhello", "jq"}
	}
	programs, err := realPrograms(opts.Root, opts.Recipes)
	if err != nil {
		return err
	}
	if len(opts.Platforms) == 0 {
		opts.Platforms = []recipe.Platform{recipe.AMD64}
	}
	if len(opts.Toolchains) == 0 {
		opts.Toolchains = []string{"gcc"}
	}
	base, err := os.MkdirTemp("", "fromscratch-bench-configure-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(base)
	shared := opts.CacheDir
	opts.Smoke, opts.Jobs, opts.Progress = false, 1, nil
	var rows []shareRow
	var errs []error
	for _, name := range programs {
		for _, tc := range opts.Toolchains {
			for _, pl := range opts.Platforms {
				o := opts
				o.Recipes, o.Toolchains, o.Platforms = []string{name}, []string{tc}, []recipe.Platform{pl}
				row := shareRow{Cell: recipe.Cell{Recipe: name, Platform: pl, Toolchain: tc, Linkage: recipe.Dynamic}}
				for i, way := range []string{"shared", "alone"} {
					w, err := s.shareWay(ctx, o, shared, filepath.Join(base, name, tc, pl.Dir(), way), row.Cell, way == "shared")
					w.Name = way
					row.Ways[i] = w
					if err != nil {
						row.Error = fmt.Errorf("%s, %s: %w", row.Cell, way, err)
						break
					}
				}
				if row.Error != nil {
					errs = append(errs, row.Error)
					fmt.Fprintf(s.Out, "bench:configure: %v\n", row.Error)
					continue
				}
				rows = append(rows, row)
				fmt.Fprintf(s.Out, "bench:configure: %s done\n", row.Cell)
			}
		}
	}
	if len(rows) > 0 {
		printShare(s.Out, rows)
	}
	return errors.Join(errs...)
}

// shareWay builds o's static cells in a fresh cache under dir, removes
// the compile cache unless share is set, then builds the dynamic cell
// and measures it.
func (s Suite) shareWay(ctx context.Context, o pipeline.Options, shared, dir string, cell recipe.Cell, share bool) (shareWay, error) {
	var w shareWay
	o.CacheDir, o.OutDir = filepath.Join(dir, "cache"), filepath.Join(dir, "out")
	if err := linkShared(shared, o.CacheDir); err != nil {
		return w, err
	}
	o.Linkages = []recipe.Linkage{recipe.Static}
	rep, err := pipeline.New(o, pipeline.WithRunner(s.Run)).Build(ctx)
	if err := cellErrors(rep, err); err != nil {
		return w, fmt.Errorf("the static cell: %w", err)
	}
	compiled, _ := filepath.Glob(filepath.Join(o.CacheDir, "configure", "*_compile.cache"))
	for _, f := range compiled {
		if share {
			data, _ := os.ReadFile(f)
			w.Compile += bytes.Count(data, []byte("\n"))
		} else if err := os.Remove(f); err != nil {
			return w, err
		}
	}
	o.Linkages = []recipe.Linkage{recipe.Dynamic}
	var t phaseTimes
	start := time.Now()
	rep, err = pipeline.New(o, pipeline.WithRunner(phaseRunner(s.Run, &t))).Build(ctx)
	w.Wall, w.Configure = time.Since(start), time.Duration(t.configure.Load())
	if err := cellErrors(rep, err); err != nil {
		return w, fmt.Errorf("the dynamic cell: %w", err)
	}
	bin := outdir.Path(o.OutDir).Bin(cell)
	log, err := os.ReadFile(filepath.Join(bin, "build.log"))
	if err != nil {
		return w, err
	}
	w.Cached = bytes.Count(log, []byte("(cached)"))
	if !share {
		static := cell
		static.Linkage = recipe.Static
		w.Compared, w.Differ = compareCompileResults(
			filepath.Join(outdir.Path(o.OutDir).Bin(static), "config.log"), filepath.Join(bin, "config.log"))
	}
	w.Binary, err = os.ReadFile(filepath.Join(bin, cell.Recipe))
	return w, err
}

// compareCompileResults compares the compile results in the "Cache
// variables" of two config.logs: how many both hold, and the names of
// those whose values differ.
func compareCompileResults(a, b string) (int, []string) {
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
func compileResults(configLog string) map[string]string {
	data, _ := os.ReadFile(configLog)
	_, vars, _ := bytes.Cut(data, []byte("## Cache variables. ##\n"))
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
