// Package repro is verify:repro: the matrix built twice under varied
// conditions (path, umask, time zone, locale, jobs, file order), every
// output compared per cell, and the verdicts recorded in out/matrix.json.
package repro

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// Check is a reproducibility check of a configuration.
type Check struct {
	// Options are the configuration's engine options: the recipes,
	// platforms and toolchains to build, out/ (where the verdicts are
	// recorded), PATH (where diffoscope is looked for).
	Options pipeline.Options
	// Build is the front door's build: out/'s lock, the engine, the
	// summary.
	Build func(context.Context, pipeline.Options) (*pipeline.Report, error)
	Run   toolchain.Runner // diffoscope
	Out   io.Writer
	// Environ holds the TZ and LC_ALL to go back to after a build.
	Environ []string
}

// Variation is one of the two builds of verify:repro: where it builds and
// under which conditions. SOURCE_DATE_EPOCH is held equal.
type Variation struct {
	Name  string
	Dir   string // the copy of the sources builds here; out/ is inside it
	Umask int
	TZ    string
	Lang  string
	Jobs  int
}

// DefaultVariations differ in path (and its length), umask, time zone,
// locale, parallel jobs and the order files were created in.
func DefaultVariations(base string) [2]Variation {
	return [2]Variation{
		{Name: "first", Dir: filepath.Join(base, "a"), Umask: 0o022, TZ: "UTC", Lang: "C", Jobs: runtime.NumCPU()},
		{Name: "second", Dir: filepath.Join(base, "b", "a-much-longer-build-path", "src"), Umask: 0o077,
			TZ: "Pacific/Chatham", Lang: "fr_FR.UTF-8", Jobs: 1},
	}
}

// Result is the verdict for one cell.
type Result struct {
	Cell      string
	Identical bool
	// FirstDiff names the first file that differs, relative to out/.
	FirstDiff string
	Report    string // diffoscope's report, when diffoscope exists
}

// Compare copies the recipes and toolchains of the root into each
// variation's dir, builds there under its conditions (sequentially: umask
// and time zone are process-wide), and compares every output per cell.
func (c Check) Compare(ctx context.Context, vars [2]Variation) ([]Result, error) {
	var reps [2]*pipeline.Report
	var cfgs [2]pipeline.Options
	for i, v := range vars {
		if err := os.MkdirAll(v.Dir, 0o755); err != nil {
			return nil, err
		}
		tools := c.Options.ToolchainDir // the project's, or the built-in files
		if tools == "" {
			tools = filepath.Join(c.Options.Root, "toolchains")
		}
		for _, d := range [][2]string{{filepath.Join(c.Options.Root, "recipes"), "recipes"}, {tools, "toolchains"}} {
			if err := copyTree(d[0], filepath.Join(v.Dir, d[1]), i == 1); err != nil {
				return nil, err
			}
		}
		vc := c.Options
		vc.ToolchainDir = ""
		vc.Root, vc.OutDir, vc.Jobs, vc.Smoke, vc.NoCache = v.Dir, filepath.Join(v.Dir, "out"), v.Jobs, false, true
		restore := vary(v, c.Environ)
		fmt.Fprintf(c.Out, "repro: %s build in %s (umask %04o, TZ=%s, LC_ALL=%s, %d jobs)\n", v.Name, v.Dir, v.Umask, v.TZ, v.Lang, v.Jobs)
		rep, err := c.Build(ctx, vc)
		restore()
		if err != nil && rep == nil {
			return nil, err
		}
		reps[i], cfgs[i] = rep, vc
	}
	return c.compareBuilds(ctx, cfgs, reps), nil
}

// vary sets the process-wide conditions of v and returns how to undo them
// (environ holds the values to go back to).
func vary(v Variation, environ []string) func() {
	old := syscall.Umask(v.Umask)
	tz, lang := lookup(environ, "TZ"), lookup(environ, "LC_ALL")
	os.Setenv("TZ", v.TZ)
	os.Setenv("LC_ALL", v.Lang)
	return func() {
		syscall.Umask(old)
		os.Setenv("TZ", tz)
		os.Setenv("LC_ALL", lang)
	}
}

func lookup(environ []string, key string) string {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// copyTree copies a tree; reverse creates the files in reverse order,
// so directory listing order differs between the two builds.
func copyTree(src, dst string, reverse bool) error {
	var files []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	if reverse {
		sort.Sort(sort.Reverse(sort.StringSlice(files)))
	}
	for _, f := range files {
		rel, _ := filepath.Rel(src, f)
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("copying %s: %w", f, err)
		}
		target := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, data, 0o644); err != nil {
			return fmt.Errorf("copying %s: %w", f, err)
		}
	}
	return nil
}

// cellOutputs lists a cell's outputs relative to out/: the binary, the
// docker archive and its recipe's OCI layout files.
func cellOutputs(out outdir.Path, j pipeline.Job) []string {
	files := []string{filepath.Join(out.Bin(j.Cell), j.Recipe.Name), out.Archive(j.Cell)}
	_ = filepath.WalkDir(out.OCI(j.Cell.Recipe), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	var list []string
	for _, f := range files {
		r, _ := filepath.Rel(string(out), f)
		list = append(list, r)
	}
	sort.Strings(list)
	return list
}

func (c Check) compareBuilds(ctx context.Context, cfgs [2]pipeline.Options, reps [2]*pipeline.Report) []Result {
	var out []Result
	for _, j := range reps[0].Jobs {
		a, b := reps[0].Results[j.Cell.String()], reps[1].Results[j.Cell.String()]
		if a == nil && b == nil {
			continue
		}
		res := Result{Cell: j.Cell.String(), Identical: true}
		switch {
		case a == nil || b == nil || a.Err != nil || b.Err != nil:
			res.Identical, res.FirstDiff = false, "(a build failed: "+errText(a)+" / "+errText(b)+")"
		default:
			files := cellOutputs(outdir.Path(cfgs[0].OutDir), j)
			for _, f := range files {
				if !sameFile(filepath.Join(cfgs[0].OutDir, f), filepath.Join(cfgs[1].OutDir, f)) {
					res.Identical, res.FirstDiff = false, f
					res.Report = c.diffoscope(ctx, cfgs, f)
					break
				}
			}
		}
		out = append(out, res)
	}
	return out
}

func errText(r *pipeline.Result) string {
	if r == nil || r.Err == nil {
		return "ok"
	}
	return pipeline.ReasonLine(r.Err.Error())
}

func sameFile(a, b string) bool {
	x, err1 := os.ReadFile(a)
	y, err2 := os.ReadFile(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// diffoscope writes a report of the difference next to the first build's
// out/, when diffoscope is installed.
func (c Check) diffoscope(ctx context.Context, cfgs [2]pipeline.Options, f string) string {
	bin, err := toolchain.LookPath("diffoscope", cfgs[0].HostPath)
	if err != nil {
		return ""
	}
	report := filepath.Join(outdir.Path(cfgs[0].OutDir).Repro(), strings.ReplaceAll(f, string(filepath.Separator), "_")+".diffoscope.txt")
	_ = os.MkdirAll(filepath.Dir(report), 0o755)
	env := []string{"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8", "HOME=" + os.TempDir()}
	_, _ = c.Run(ctx, toolchain.Command{Args: []string{bin, "--text", report, filepath.Join(cfgs[0].OutDir, f), filepath.Join(cfgs[1].OutDir, f)}}, env) // exit 1 means "differ"
	return report
}

// Verify is the verify:repro target: two builds of the whole matrix, a
// verdict per cell, the verdicts recorded in out/matrix.json when it
// exists, and an error on any difference.
func (c Check) Verify(ctx context.Context) error {
	base, err := os.MkdirTemp("", "fromscratch-repro-")
	if err != nil {
		return err
	}
	keep := false
	defer func() {
		if !keep {
			os.RemoveAll(base)
		}
	}()
	results, err := c.Compare(ctx, DefaultVariations(base))
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CELL\tVERDICT\tFIRST DIFFERING FILE")
	var different []string
	for _, r := range results {
		verdict := "identical"
		if !r.Identical {
			verdict = "DIFFERENT"
			different = append(different, r.Cell)
			if r.Report != "" {
				keep = true
				r.FirstDiff += " (diffoscope: " + r.Report + ")"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Cell, verdict, r.FirstDiff)
	}
	tw.Flush()
	if err := c.record(results); err != nil {
		fmt.Fprintf(c.Out, "not recording the verdicts: %v\n", err)
	}
	fmt.Fprintf(c.Out, "repro: %d cells identical, %d different\n", len(results)-len(different), len(different))
	if len(different) > 0 {
		return fmt.Errorf("%d cell(s) are not reproducible: %s", len(different), strings.Join(different, ", "))
	}
	return nil
}

// record writes the verdicts into an existing matrix (and its
// renderings).
func (c Check) record(results []Result) error {
	out := outdir.Path(c.Options.OutDir)
	path := out.Matrix()
	if _, err := os.Stat(path); err != nil {
		return nil // no matrix to record the verdicts in
	}
	unlock, err := out.Lock(c.Out)
	if err != nil {
		return err
	}
	defer unlock()
	m, err := matrix.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	byCell := map[string]Result{}
	for _, r := range results {
		byCell[r.Cell] = r
	}
	for i := range m.Rows {
		r, ok := byCell[m.Rows[i].Key().String()]
		if !ok {
			continue
		}
		ok = r.Identical
		m.Rows[i].Reproducible = &ok
		m.Rows[i].ReproNote = r.FirstDiff
	}
	return matrix.WriteAll(filepath.Dir(path), m)
}
