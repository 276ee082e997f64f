// Package bench measures fromscratch against the ways people build
// without it: the files recipes against the Dockerfile way (Files), the
// real programs against configure and make by hand (Real). Each run
// measures all its ways on the same cells, so that the ratios hold on a
// noisy machine.
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/fromscratch/fromscratch/internal/atomicfile"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// tally is what a timed runner counts: its commands and their time.
type tally struct{ time, steps atomic.Int64 }

// timedRunner wraps a runner and adds the time its commands take, so the
// compilers' own time is reported apart from orchestration.
func timedRunner(run toolchain.Runner, t *tally) toolchain.Runner {
	return func(ctx context.Context, c toolchain.Command, env []string) ([]byte, error) {
		start := time.Now()
		out, err := run(ctx, c, env)
		t.time.Add(int64(time.Since(start)))
		t.steps.Add(1)
		return out, err
	}
}

// row is the Row of a way measured from start with t.
func (t *tally) row(name string, start time.Time) Row {
	return Row{Name: name, Wall: time.Since(start), Compilers: time.Duration(t.time.Load()), Steps: int(t.steps.Load())}
}

// Suite is what the benchmarks measure: a configuration's engine options
// (recipes, platforms, toolchains, the shared cache), the runner they time,
// where they report.
type Suite struct {
	Options pipeline.Options
	Run     toolchain.Runner
	Out     io.Writer
	Home    string // $HOME, handed to docker for its configuration
}

// Row is one measured way of building the same cells.
type Row struct {
	Name      string
	Wall      time.Duration
	Compilers time.Duration
	Steps     int // commands run
}

// Files measures, in one run and on the same cells (the linux/amd64 cells:
// the Dockerfile way needs a native ldd): fromscratch cold (empty action
// cache and out/), warm (action cache filled, out/ empty) and no-op, against
// the Dockerfile way (compile with the same compiler, copy the binary and
// its ldd libraries into a context, docker build FROM scratch), cold and
// warm (docker's layer cache filled). It prints the ratios and the bytes
// the image format adds over the payload.
func (s Suite) Files(ctx context.Context) error {
	base, err := os.MkdirTemp("", "fromscratch-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(base)
	// One job: the Dockerfile way is sequential, and the compilers' summed
	// time can then be taken from the wall time to show orchestration.
	opts := s.Options
	shared := opts.CacheDir
	opts.Smoke, opts.Jobs, opts.Progress = false, 1, nil
	opts.Platforms = []recipe.Platform{recipe.AMD64}
	opts.OutDir = filepath.Join(base, "out")
	opts.CacheDir = filepath.Join(base, "cache")
	if err := linkShared(shared, opts.CacheDir); err != nil {
		return err
	}

	var rows []Row
	// The Dockerfile way compiles a recipe's files by hand with the cell's
	// commands: it has no counterpart for a project's own build system, so
	// the comparison covers the recipes of build = "files".
	if opts.Recipes, err = filesRecipes(opts.Root, opts.Recipes); err != nil {
		return err
	}
	measure := func(name string, prep func() error) (*pipeline.Report, error) {
		if prep != nil {
			if err := prep(); err != nil {
				return nil, err
			}
		}
		var t tally
		start := time.Now()
		rep, err := pipeline.New(opts, pipeline.WithRunner(timedRunner(s.Run, &t))).Build(ctx)
		rows = append(rows, t.row(name, start))
		fmt.Fprintf(s.Out, "bench: %s done\n", name)
		return rep, err
	}
	rep, err := measure("fromscratch cold", nil)
	if err != nil {
		return err
	}
	if opts.BuildRoot != nil {
		// The same cold build with the host's compilers and no sandbox,
		// in its own cache: what the build root and bubblewrap cost.
		host := opts
		host.BuildRoot = nil
		host.OutDir, host.CacheDir = filepath.Join(base, "out-host"), filepath.Join(base, "cache-host")
		if err := linkShared(shared, host.CacheDir); err != nil {
			return err
		}
		var t tally
		start := time.Now()
		if _, err := pipeline.New(host, pipeline.WithRunner(timedRunner(s.Run, &t))).Build(ctx); err != nil {
			return fmt.Errorf("the unsandboxed way: %w", err)
		}
		rows = append(rows, t.row(unsandboxed, start))
		fmt.Fprintf(s.Out, "bench: %s done\n", unsandboxed)
	}
	if _, err := measure("fromscratch warm (action cache)", func() error { return os.RemoveAll(opts.OutDir) }); err != nil {
		return err
	}
	if _, err := measure("fromscratch no-op", nil); err != nil {
		return err
	}
	var dockerErr error
	for _, name := range []string{"Dockerfile way cold", "Dockerfile way warm (docker layer cache)"} {
		row, err := s.dockerfileWay(ctx, opts, rep, filepath.Join(base, "docker"), name)
		if err != nil {
			dockerErr = err
			break
		}
		rows = append(rows, row)
		fmt.Fprintf(s.Out, "bench: %s done\n", name)
	}
	printBench(s.Out, rows, dockerErr)
	return overhead(s.Out, rep)
}

// unsandboxed is the row of the cold build on the host, without the build
// root or bubblewrap (FROMSCRATCH_HERMETIC=0).
const unsandboxed = "fromscratch cold, host compilers, no sandbox"

func printBench(w io.Writer, rows []Row, dockerErr error) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WAY\tWALL\tCOMPILERS\tORCHESTRATION\tWALL / fromscratch cold")
	ref := rows[0].Wall
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.3f\n", r.Name, r.Wall.Round(time.Millisecond), r.Compilers.Round(time.Millisecond),
			(r.Wall - r.Compilers).Round(time.Millisecond), float64(r.Wall)/float64(ref))
	}
	tw.Flush()
	byName := map[string]time.Duration{}
	steps := map[string]int{}
	for _, r := range rows {
		byName[r.Name], steps[r.Name] = r.Wall, r.Steps
	}
	if d := byName["Dockerfile way cold"]; d > 0 {
		fmt.Fprintf(w, "ratios: Dockerfile cold / fromscratch cold = %.2f; Dockerfile warm / fromscratch warm = %.2f; Dockerfile warm / fromscratch no-op = %.1f\n",
			float64(d)/float64(byName["fromscratch cold"]),
			float64(byName["Dockerfile way warm (docker layer cache)"])/float64(byName["fromscratch warm (action cache)"]),
			float64(byName["Dockerfile way warm (docker layer cache)"])/float64(byName["fromscratch no-op"]))
	}
	if h := byName[unsandboxed]; h > 0 {
		cold, n := byName["fromscratch cold"], steps["fromscratch cold"]
		fmt.Fprintf(w, "sandbox: fromscratch cold in the build root / %s = %.3f", unsandboxed, float64(cold)/float64(h))
		if n > 0 {
			fmt.Fprintf(w, "; %d sandboxes, %s more each", n, ((cold - h) / time.Duration(n)).Round(time.Millisecond))
		}
		fmt.Fprintln(w)
	}
	if dockerErr != nil {
		fmt.Fprintf(w, "the Dockerfile way was not measured: %v\n", dockerErr)
	}
}

// dockerfileWay does what a person would: per cell, compile with the same
// compiler and flags, copy the binary and (dynamic cells) the libraries
// ldd lists into a build context, and docker build FROM scratch.
func (s Suite) dockerfileWay(ctx context.Context, opts pipeline.Options, rep *pipeline.Report, dir, name string) (Row, error) {
	env := []string{"PATH=" + strings.Join(opts.HostPath, ":"), "HOME=" + s.Home, "DOCKER_BUILDKIT=0", "LC_ALL=C"}
	if out, err := s.Run(ctx, toolchain.Command{Args: []string{"docker", "info"}}, env); err != nil {
		return Row{}, fmt.Errorf("no Docker engine answers: %w: %s", err, toolchain.Tail(out, 300))
	}
	var t tally
	b := pipeline.New(opts, pipeline.WithRunner(timedRunner(s.Run, &t)))
	start := time.Now()
	for _, j := range rep.Jobs {
		if r := rep.Results[j.Cell.String()]; r == nil || r.Err != nil {
			continue
		}
		ctxDir := filepath.Join(dir, j.Cell.Recipe+"-"+j.Cell.Variant())
		os.RemoveAll(ctxDir)
		bin, err := b.CompileTo(ctx, j, ctxDir)
		if err != nil {
			return Row{}, err
		}
		df := fmt.Sprintf("FROM scratch\nCOPY %s /\n", j.Recipe.Name)
		if j.Cell.Linkage == recipe.Dynamic {
			libs, err := s.lddLibs(ctx, bin, env)
			if err != nil {
				return Row{}, err
			}
			for _, l := range libs {
				if err := atomicfile.Copy(l, filepath.Join(ctxDir, "root", l), 0o755); err != nil {
					return Row{}, err
				}
			}
			df += "COPY root/ /\n"
		}
		df += fmt.Sprintf("ENTRYPOINT [\"/%s\"]\n", j.Recipe.Name)
		if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte(df), 0o644); err != nil {
			return Row{}, err
		}
		os.RemoveAll(filepath.Join(ctxDir, "obj"))
		args := []string{"docker", "build", "-q", "-t", "fromscratch-bench/" + j.Cell.Recipe + ":" + j.Cell.Variant(), ctxDir}
		if out, err := s.Run(ctx, toolchain.Command{Args: args}, env); err != nil {
			return Row{}, fmt.Errorf("docker build %s: %w: %s", j.Cell, err, toolchain.Tail(out, 500))
		}
	}
	return t.row(name, start), nil
}

// lddLibs lists the absolute paths ldd prints for a native binary (for a
// musl binary, musl's loader with --list, which is musl's ldd).
func (s Suite) lddLibs(ctx context.Context, bin string, env []string) ([]string, error) {
	out, err := s.Run(ctx, toolchain.Command{Args: []string{"ldd", bin}}, env)
	if err != nil {
		musl, _ := filepath.Glob("/lib/ld-musl-*.so.1")
		if len(musl) == 0 {
			return nil, fmt.Errorf("ldd %s: %w", bin, err)
		}
		if out, err = s.Run(ctx, toolchain.Command{Args: []string{musl[0], "--list", bin}}, env); err != nil {
			return nil, fmt.Errorf("ldd %s: %w", bin, err)
		}
	}
	var libs []string
	for _, line := range strings.Split(string(out), "\n") {
		for _, f := range strings.Fields(line) {
			if strings.HasPrefix(f, "/") {
				libs = append(libs, f)
			}
		}
	}
	return libs, nil
}

// overhead prints what the image format adds over the payload (binary and
// libraries): registry bytes (compressed layers, config, manifest) and
// docker bytes.
func overhead(w io.Writer, rep *pipeline.Report) error {
	type o struct {
		cell                    string
		payload, tar, reg, meta int64
	}
	var all []o
	for _, row := range pipeline.Rows(rep).Rows {
		if row.Status != matrix.StatusBuilt {
			continue
		}
		all = append(all, o{row.Key().String(), row.Sizes.Binary + row.Sizes.Libraries, row.Sizes.LayersUncompressed,
			row.Sizes.ImageRegistry, row.Sizes.ImageRegistry - row.Sizes.LayersCompressed})
	}
	sort.Slice(all, func(a, b int) bool { return all[a].cell < all[b].cell })
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "IMAGE\tPAYLOAD\tLAYER TARS - PAYLOAD\tREGISTRY BYTES\tCONFIG+MANIFEST\tREGISTRY / PAYLOAD")
	var sumP, sumT, sumR, sumM int64
	for _, x := range all {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.3f\n", x.cell, x.payload, x.tar-x.payload, x.reg, x.meta, float64(x.reg)/float64(x.payload))
		sumP, sumT, sumR, sumM = sumP+x.payload, sumT+x.tar, sumR+x.reg, sumM+x.meta
	}
	tw.Flush()
	if n := int64(len(all)); n > 0 {
		fmt.Fprintf(w, "over %d images: the uncompressed layers add %d bytes per image to the payload (tar headers and padding),"+
			" config and manifest %d bytes; registry bytes / payload bytes = %.3f (gzip)\n",
			n, (sumT-sumP)/n, sumM/n, float64(sumR)/float64(sumP))
	}
	return nil
}

// programsBuilt selects the programs (not libraries) built by their own
// build system (project) or from their files (!project): the two
// benchmarks' recipes, one question for both.
func programsBuilt(project bool) func(*recipe.Recipe) bool {
	return func(r *recipe.Recipe) bool { return r.IsProject() == project && !r.IsLibrary() }
}

// filesRecipes are the recipes (of names, or all) that compile their own
// files rather than run a build system.
func filesRecipes(root string, names []string) ([]string, error) {
	out, err := benchRecipes(root, names, programsBuilt(false))
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("bench: no recipe of build = \"files\" to measure among %v", names)
	}
	return out, err
}

// benchRecipes are the names of the recipes (of names, or all) that keep
// says a benchmark measures.
func benchRecipes(root string, names []string, keep func(*recipe.Recipe) bool) ([]string, error) {
	all, err := recipe.LoadAll(filepath.Join(root, "recipes"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range all {
		if keep(r) && (len(names) == 0 || slices.Contains(names, r.Name)) {
			out = append(out, r.Name)
		}
	}
	return out, nil
}
