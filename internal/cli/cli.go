package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/debian"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/spell"
	"github.com/fromscratch/fromscratch/internal/workspace"

	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// CLI is what the mage targets and cmd/fromscratch call: one method per
// target.
type CLI struct {
	root    string
	rootErr error     // why no project was found: every command that needs one says it
	out     io.Writer // results: tables, JSON, what a command was asked for
	log     io.Writer // progress, summaries, warnings
	env     []string
	// flags are the settings given on the command line, over env.
	flags Flags
	// json asks build, release, release push and toolchains list for
	// their result as JSON on out (see json.go).
	json bool
	// version is --version (-V): fromscratch version's output.
	version bool
	// args are the command line Run was given, in words (mageSpelling).
	args []string
	ran  bool // Run reached a verb's body: its errors are not the command line's
	run  toolchain.Runner
	// recipes limits the whole-matrix targets (verify:repro, release) to
	// some recipes; tests set it.
	recipes []string
	// registry is how release:push and the remote cache reach registries;
	// tests count or cut its traffic.
	registry image.Registry
	// replayed counts the builds that were known no-ops (noop.go).
	replayed int
}

// New serves the repository at root, writing results to out and progress
// and summaries to log, and reading the process environment.
func New(root string, out, log io.Writer) *CLI {
	return &CLI{root: root, out: out, log: log, env: processEnv(), run: toolchain.Exec}
}

// config is the Config of the project (the environment and the command
// line's flags over its fromscratch.toml), with the folder of the
// toolchain files it uses.
func (c *CLI) config() (Config, error) {
	cfg, err := c.settings()
	if err != nil {
		return cfg, err
	}
	cfg.ToolchainDir, err = workspace.Toolchains(cfg.Root, cfg.CacheDir)
	return cfg, err
}

// settings is config without the toolchain files, for the verbs that
// neither build nor read the cache's toolchain folder (the matrix's
// tables and comparisons, history, clean, cache prune): an unusable
// cache directory does not fail them.
func (c *CLI) settings() (Config, error) {
	if c.rootErr != nil {
		return Config{}, c.rootErr
	}
	return loadConfig(c.root, c.env, c.flags)
}

func (c *CLI) configAndToolchains() (Config, []*toolchain.Definition, error) {
	cfg, err := c.config()
	if err != nil {
		return cfg, nil, err
	}
	defs, err := toolchain.LoadAll(cfg.ToolchainDir)
	return cfg, defs, err
}

// options turns a Config into the engine's options.
func (c *CLI) options(cfg Config) pipeline.Options {
	opts := pipeline.Options{
		Recipes: c.recipes,
		Root:    cfg.Root, ToolchainDir: cfg.ToolchainDir, OutDir: cfg.OutDir, CacheDir: cfg.CacheDir, Jobs: cfg.Jobs,
		Platforms: cfg.Platforms, RequireAll: cfg.RequireAll, Smoke: cfg.Smoke, NoCache: cfg.NoCache,
		BuildDate: cfg.BuildDate, HostPath: cfg.HostPath, CacheLink: cfg.CacheLink, EngineEnv: cfg.Environ,
		Linkages: cfg.Linkages, StallTimeout: cfg.StallTimeout,
		Progress:   newProgress(c.log, c.interactive(cfg), cfg.Verbose),
		NoScanData: !cfg.ScanData, FromscratchVersion: Version,
	}
	if opts.Recipes == nil {
		opts.Recipes = cfg.Recipes // FROMSCRATCH_RECIPES
	}
	opts.Toolchains = cfg.Toolchains
	if cfg.Hermetic {
		opts.BuildRoot = buildRoot(cfg)
	}
	return opts
}

// buildRoot is the pinned build root of the repository: its lock, where
// its packages are fetched from (the machine's Debian mirror, then
// Debian's archive) and bubblewrap. What is missing is the root's Problem,
// reported when a build starts.
func buildRoot(cfg Config) *pipeline.BuildRoot {
	br := &pipeline.BuildRoot{}
	lock, err := debian.ReadRootLock(filepath.Join(cfg.ToolchainDir, debian.RootLockFileName))
	if err != nil {
		br.Problem = err
		return br
	}
	br.Lock = lock
	br.Fetch = debian.MachineFetcher(cfg.CacheDir, nil, pipeline.Suite)
	br.Fetch.Stall = cfg.StallTimeout
	br.Bwrap, br.Problem = toolchain.FindBwrap(append(cfg.HostPath, toolchain.SystemPath...))
	return br
}

// width is the terminal's width when out is one, else 0 (the default, 80
// columns).
func (c *CLI) width() int {
	if f, ok := c.out.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil {
			return w
		}
	}
	return 0
}

// interactive: a terminal, outside CI, gets a live progress line.
func (c *CLI) interactive(cfg Config) bool {
	f, ok := c.log.(*os.File)
	return ok && !cfg.CI && term.IsTerminal(int(f.Fd()))
}

// build runs the engine with opts while holding out/'s lock (see
// buildHeld).
func (c *CLI) build(ctx context.Context, cfg Config, opts pipeline.Options, run toolchain.Runner) (*pipeline.Report, error) {
	unlock, err := outdir.Path(cfg.OutDir).Lock(c.log)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return c.buildHeld(ctx, cfg, opts, run)
}

// buildHeld runs the engine with opts, then prints the summary and appends
// the matrix to the GitHub step summary. The caller holds out/'s lock.
func (c *CLI) buildHeld(ctx context.Context, cfg Config, opts pipeline.Options, run toolchain.Runner) (*pipeline.Report, error) {
	opts.Source, opts.Revision = SourceURL, revision(ctx, run, cfg)
	rep, err := pipeline.New(opts, pipeline.WithRunner(run), remoteCache(cfg, c.registry, warner(c.log, opts.Progress))).Build(ctx)
	if rep != nil && rep.Matrix != nil {
		summary(c.log, cfg, rep)
		if serr := appendStepSummary(cfg.StepSummary, rep.Matrix); serr != nil {
			err = errors.Join(err, serr)
		}
	}
	return rep, err
}

// SourceURL is the repository every image names as its source (the
// org.opencontainers.image.source annotation and label): the home of the
// module github.com/fromscratch/fromscratch.
const SourceURL = "https://github.com/fromscratch/fromscratch"

// revision is the git commit checked out in the repository, for the
// images' org.opencontainers.image.revision, read from .git without
// running git; "" when the repository is not a git checkout (a source
// archive, Bazel's runfiles). It never fails a build.
func revision(_ context.Context, _ toolchain.Runner, cfg Config) string {
	return workspace.Revision(cfg.Root)
}

// Build builds the matrix (all recipes, or the named ones).
func (c *CLI) Build(ctx context.Context, recipes []string) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	opts := c.options(cfg)
	if len(recipes) > 0 {
		have, err := recipeNames(cfg.Root)
		if err != nil {
			return fmt.Errorf("listing recipes: %w", err)
		}
		var errs []error
		for _, n := range recipes {
			if !slices.Contains(have, n) {
				errs = append(errs, fmt.Errorf("recipes/: %w", unknownName("recipe", n, have)))
			}
		}
		if len(errs) > 0 {
			return usageError{errors.Join(errs...)}
		}
		opts.Recipes = recipes
	}
	unlock, err := outdir.Path(cfg.OutDir).Lock(c.log)
	if err != nil {
		return err
	}
	defer unlock()
	noop := c.noOpFor(cfg, recipes)
	if noop != nil && noop.replay(cfg, c.out, c.log) {
		c.replayed++
		return nil // see noop.go
	}
	rep, err := c.buildHeld(ctx, cfg, opts, c.run)
	if len(recipes) == 0 && rep != nil {
		err = errors.Join(err, c.writeManifest(ctx, cfg, opts, rep))
	}
	if c.json && rep != nil { // failed cells too: the document says which
		err = errors.Join(err, writeJSON(c.out, buildJSON(cfg, "build", rep, nil)))
	}
	if err == nil && noop != nil {
		if rerr := c.record(noop, cfg, rep); rerr != nil {
			fmt.Fprintf(c.log, "warning: not recording the run for the next no-op: %v\n", rerr)
		}
	}
	return err
}

// Images packs images again from the binaries in out/bin.
func (c *CLI) Images(ctx context.Context) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	opts := c.options(cfg)
	opts.ReuseBinaries, opts.Smoke = true, false
	_, err = c.build(ctx, cfg, opts, c.run)
	return err
}

// Smoke packs (reusing binaries) and smoke-runs every image.
func (c *CLI) Smoke(ctx context.Context) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	opts := c.options(cfg)
	opts.ReuseBinaries, opts.Smoke = true, true
	_, err = c.build(ctx, cfg, opts, c.run)
	return err
}

// ListToolchains prints every toolchain target with its state: a table,
// or with --json a ToolchainsJSON.
func (c *CLI) ListToolchains(ctx context.Context) error {
	list, err := c.toolchains(ctx)
	if err != nil {
		return err
	}
	if c.json {
		return writeJSON(c.out, ToolchainsJSON{SchemaVersion: JSONSchema, Command: "toolchains list", Toolchains: list})
	}
	tw := newTable(c.out)
	fmt.Fprintln(tw, "TOOLCHAIN\tPLATFORM\tVERSION\tLIBC (static/dynamic)\tSTATE")
	for _, t := range list {
		state := "available"
		if !t.Available {
			state = fmt.Sprintf("unavailable: %s; get it with: %s", t.Reason, t.Hint)
		} else if t.LibsMissing != "" {
			state = fmt.Sprintf("compiler available, %s; get them with: %s", t.LibsMissing, t.Hint)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s/%s\t%s\n", t.Toolchain, t.Platform, cmp.Or(t.Version, "-"), t.StaticLibc, t.DynamicLibc, state)
	}
	return tw.Flush()
}

// toolchains detects every toolchain target: in the build root, or on
// the host when builds are not hermetic.
func (c *CLI) toolchains(ctx context.Context) ([]ToolchainJSON, error) {
	cfg, defs, err := c.configAndToolchains()
	if err != nil {
		return nil, err
	}
	dirs := toolchain.SearchDirs(defs, cfg.CacheDir, cfg.HostPath)
	br := c.options(cfg).BuildRoot
	if br != nil && br.Problem != nil {
		return nil, fmt.Errorf("the build root: %w", br.Problem)
	}
	list := []ToolchainJSON{}
	for _, d := range defs {
		var found []toolchain.Status
		if br != nil {
			found = toolchain.DetectInRoot(d, br.ToolRoot(), cfg.CacheDir)
		} else {
			found = toolchain.Detect(ctx, c.run, d, dirs, envConfig(cfg, nil))
		}
		for _, s := range found {
			t := ToolchainJSON{Toolchain: d.Name, Platform: string(s.Target.Platform), Version: s.Version,
				StaticLibc: d.Static.Libc, DynamicLibc: d.Dynamic.Libc, Available: s.Available, LibsMissing: s.LibsMissing}
			if !s.Available || s.LibsMissing != "" {
				t.Reason, t.Hint = s.Reason, s.Hint
			}
			list = append(list, t)
		}
	}
	return list, nil
}

// History prints the layers of an image of out/oci like docker image
// history. ref is <recipe>:<toolchain>-<linkage>-<arch>.
func (c *CLI) History(_ context.Context, ref string) error {
	cfg, err := c.settings()
	if err != nil {
		return err
	}
	name, tag, ok := strings.Cut(ref, ":")
	if !ok {
		return fmt.Errorf("image reference %q: want <recipe>:<toolchain>-<linkage>-<arch>, e.g. hello:gcc-dynamic-amd64", ref)
	}
	variant, arch, err := splitTag(tag)
	if err != nil {
		return fmt.Errorf("image reference %q: %w", ref, err)
	}
	p, err := recipe.ParsePlatform(arch)
	if err != nil {
		return fmt.Errorf("image reference %q: %w", ref, err)
	}
	img, err := image.Lookup(outdir.Path(cfg.OutDir).OCI(name), variant, string(p))
	if err != nil {
		return fmt.Errorf("%s: %s", ref, whyNoImage(cfg, name, variant, string(p), err))
	}
	hist, err := image.History(img)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.out, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "CREATED BY\tSIZE")
	for _, h := range hist {
		by := h.CreatedBy
		if len(by) > 60 && !cfg.NoTrunc {
			by = by[:59] + "…" // like docker; FROMSCRATCH_NO_TRUNC=1 shows it whole
		}
		fmt.Fprintf(tw, "%s\t%s\n", by, matrix.HumanBytes(h.Size))
	}
	return tw.Flush()
}

// whyNoImage explains a cell without an image from its row in
// out/matrix.json: not applicable, unavailable or failed, with the reason;
// else lookErr, the layout's own answer.
func whyNoImage(cfg Config, name, variant, platform string, lookErr error) string {
	// The layout's own answer names its folder whole: name it from the project.
	lookErr = errors.New(strings.ReplaceAll(lookErr.Error(), outdir.Path(cfg.OutDir).OCI(name), workspace.Rel(cfg.Root, outdir.Path(cfg.OutDir).OCI(name))))
	out := outdir.Path(cfg.OutDir)
	oci, mj, md := workspace.Rel(cfg.Root, out.OCI("")), workspace.Rel(cfg.Root, out.Matrix()), workspace.Rel(cfg.Root, out.MatrixMarkdown())
	m, err := matrix.Load(out.Matrix())
	if err != nil {
		return fmt.Sprintf("no image in %s and no %s: run %s first", oci, mj, spell.Command("build:all"))
	}
	i := strings.LastIndex(variant, "-")
	key := matrix.Key{Recipe: name, Platform: platform, Toolchain: variant[:i], Linkage: variant[i+1:]}
	for _, r := range m.Rows {
		if r.Key() != key {
			continue
		}
		switch r.Status {
		case matrix.StatusNotApplicable:
			return "the cell is not applicable: " + oneLineReason(r.Reason)
		case matrix.StatusUnavailable:
			return "the cell was not built, its toolchain is unavailable: " + oneLineReason(r.Reason)
		case matrix.StatusFailed:
			return "the cell's build failed: " + pipeline.ReasonLine(r.Reason)
		}
		return fmt.Sprintf("%s lists it as built, but %s does not hold it (%v): run %s again", mj, oci, lookErr, spell.Command("build:all"))
	}
	return fmt.Sprintf("no such cell in %s (see %s for the cells; %s %s builds this recipe's): %v", mj, md, spell.Command("build:recipe"), name, lookErr)
}

// oneLineReason joins a reason's lines.
func oneLineReason(s string) string { return strings.Join(strings.Fields(s), " ") }

// splitTag splits "gcc-dynamic-arm-v7" into "gcc-dynamic" and "arm-v7".
func splitTag(tag string) (string, string, error) {
	for _, l := range recipe.Linkages {
		if i := strings.Index(tag, "-"+string(l)+"-"); i >= 0 {
			return tag[:i+1+len(l)], tag[i+2+len(l):], nil
		}
	}
	return "", "", fmt.Errorf("tag %q: want <toolchain>-<static|dynamic>-<arch>", tag)
}

// ShowMatrix prints the tables of out/matrix.json.
func (c *CLI) ShowMatrix(_ context.Context) error {
	cfg, err := c.settings()
	if err != nil {
		return err
	}
	m, err := matrix.Load(outdir.Path(cfg.OutDir).Matrix())
	if err != nil {
		return fmt.Errorf("%w (run %s first)", err, spell.Command("build:all"))
	}
	return matrix.Terminal(c.out, m, c.width())
}

// DiffMatrix prints per-cell deltas between two matrices and fails past
// the growth threshold with an *ExitError of code ExitSizeGate (any other
// failure, such as a missing file, is a plain error: exit code 1).
// newPath "" means out/matrix.json.
func (c *CLI) DiffMatrix(_ context.Context, oldPath, newPath string) error {
	cfg, err := c.settings()
	if err != nil {
		return err
	}
	if newPath == "" {
		newPath = outdir.Path(cfg.OutDir).Matrix()
	}
	oldM, err := matrix.Load(oldPath)
	if err != nil {
		return err
	}
	newM, err := matrix.Load(newPath)
	if err != nil {
		return err
	}
	gate := cfg.Gate
	rep := matrix.Diff(oldM, newM)
	rep.Write(c.out)
	if v := gate.Check(rep); len(v) > 0 {
		var lines []string
		for _, x := range v {
			lines = append(lines, "  "+x.String())
		}
		// Its own exit code, so that CI tells a growth from a missing file.
		return &ExitError{Code: ExitSizeGate, Err: fmt.Errorf("size gate (max growth %.2f %%): %d violation(s):\n%s",
			gate.MaxGrowthPercent, len(v), strings.Join(lines, "\n"))}
	}
	fmt.Fprintf(c.out, "size gate passed (max growth %.2f %%)\n", gate.MaxGrowthPercent)
	return nil
}

// PruneCache removes action-cache entries unused for longer than
// FROMSCRATCH_CACHE_MAX_AGE (default 720h) and prints what is left.
func (c *CLI) PruneCache(_ context.Context) error {
	cfg, err := c.settings()
	if err != nil {
		return err
	}
	age := cfg.CacheMaxAge
	store := cache.Store{Dir: filepath.Join(cfg.CacheDir, "actions")}
	removed, freed, err := store.Prune(age, time.Now())
	if err != nil {
		return err
	}
	n, size, err := store.Stats()
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "cache: removed %d entries (%s) unused for %s; %d entries (%s) left in %s\n",
		removed, matrix.HumanBytes(freed), age, n, matrix.HumanBytes(size), store.Dir)
	return nil
}

func envConfig(cfg Config, pathDirs []string) toolchain.EnvConfig {
	return toolchain.EnvConfig{
		PathDirs:        pathDirs,
		SourceDateEpoch: cfg.BuildDate.Unix(),
		CacheDir:        cfg.CacheDir,
		TempDir:         filepath.Join(cfg.CacheDir, "tmp"),
	}
}
