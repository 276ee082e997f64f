package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/fromscratch/fromscratch/internal/cache"

	"github.com/fromscratch/fromscratch/internal/image"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// CLI is what the mage targets call: one method per target.
type CLI struct {
	root string
	out  io.Writer
}

// NewCLI serves the repository at root, writing to out.
func NewCLI(root string, out io.Writer) *CLI { return &CLI{root: root, out: out} }

func (c *CLI) config() (Config, error) {
	cache, err := toolchain.CacheDir()
	if err != nil {
		return Config{}, err
	}
	cfg, err := DefaultConfig(c.root, cache, c.out)
	if err != nil {
		return Config{}, err
	}
	if f, ok := c.out.(*os.File); ok && term.IsTerminal(int(f.Fd())) && os.Getenv("CI") == "" {
		cfg.Interactive = true
	}
	cfg.Verbose = os.Getenv("FROMSCRATCH_VERBOSE") == "1"
	return cfg, nil
}

func (c *CLI) configAndToolchains() (Config, []*toolchain.Definition, error) {
	cfg, err := c.config()
	if err != nil {
		return cfg, nil, err
	}
	defs, err := toolchain.LoadAll(filepath.Join(cfg.Root, "toolchains"))
	return cfg, defs, err
}

// Build builds the matrix (all recipes, or the named ones).
func (c *CLI) Build(ctx context.Context, recipes []string) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	cfg.Recipes = recipes
	_, err = BuildAll(ctx, cfg, toolchain.Exec)
	return err
}

// Images packs images again from the binaries in out/bin.
func (c *CLI) Images(ctx context.Context) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	cfg.ReuseBinaries = true
	_, err = BuildAll(ctx, cfg, toolchain.Exec)
	return err
}

// Smoke builds (reusing binaries) and smoke-runs every image.
func (c *CLI) Smoke(ctx context.Context) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	cfg.ReuseBinaries = true
	cfg.Smoke = true
	_, err = BuildAll(ctx, cfg, toolchain.Exec)
	return err
}

// ListToolchains prints every toolchain target with its state.
func (c *CLI) ListToolchains(ctx context.Context) error {
	cfg, defs, err := c.configAndToolchains()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOOLCHAIN\tPLATFORM\tVERSION\tLIBC (static/dynamic)\tSTATE")
	dirs := toolchain.SearchDirs(defs, cfg.CacheDir)
	for _, d := range defs {
		for _, s := range toolchain.Detect(ctx, toolchain.Exec, d, dirs, envConfig(cfg, nil)) {
			state := "available"
			if !s.Available {
				state = fmt.Sprintf("unavailable: %s; get it with: %s", s.Reason, s.Hint)
			} else if s.LibsMissing != "" {
				state = fmt.Sprintf("compiler available, %s; get them with: %s", s.LibsMissing, s.Hint)
			}
			ver := s.Version
			if ver == "" {
				ver = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s/%s\t%s\n", d.Name, s.Target.Platform, ver, d.Static.Libc, d.Dynamic.Libc, state)
		}
	}
	return tw.Flush()
}

// History prints the layers of an image of out/oci like docker image
// history. ref is <recipe>:<toolchain>-<linkage>-<arch>.
func (c *CLI) History(_ context.Context, ref string) error {
	cfg, err := c.config()
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
	img, err := image.Lookup(filepath.Join(cfg.OutDir, "oci", name), variant, string(p))
	if err != nil {
		return fmt.Errorf("finding %s (run go tool mage build:all first): %w", ref, err)
	}
	hist, err := image.History(img)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.out, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "CREATED BY\tSIZE")
	for _, h := range hist {
		by := h.CreatedBy
		if len(by) > 60 && os.Getenv("FROMSCRATCH_NO_TRUNC") == "" {
			by = by[:59] + "…" // like docker; FROMSCRATCH_NO_TRUNC=1 shows it whole
		}
		fmt.Fprintf(tw, "%s\t%s\n", by, matrix.HumanBytes(h.Size))
	}
	return tw.Flush()
}

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
	cfg, err := c.config()
	if err != nil {
		return err
	}
	m, err := matrix.Load(filepath.Join(cfg.OutDir, "matrix.json"))
	if err != nil {
		return fmt.Errorf("%w (run go tool mage build:all first)", err)
	}
	return matrix.Terminal(c.out, m)
}

// DiffMatrix prints per-cell deltas between two matrices and fails past
// the growth threshold. newPath "" means out/matrix.json.
func (c *CLI) DiffMatrix(_ context.Context, oldPath, newPath string) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	if newPath == "" {
		newPath = filepath.Join(cfg.OutDir, "matrix.json")
	}
	oldM, err := matrix.Load(oldPath)
	if err != nil {
		return err
	}
	newM, err := matrix.Load(newPath)
	if err != nil {
		return err
	}
	gate, err := GateFromEnv()
	if err != nil {
		return err
	}
	rep := matrix.Diff(oldM, newM)
	rep.Write(c.out)
	if v := gate.Check(rep); len(v) > 0 {
		var lines []string
		for _, x := range v {
			lines = append(lines, "  "+x.String())
		}
		return fmt.Errorf("size gate (max growth %.2f %%): %d violation(s):\n%s", gate.MaxGrowthPercent, len(v), strings.Join(lines, "\n"))
	}
	fmt.Fprintf(c.out, "size gate passed (max growth %.2f %%)\n", gate.MaxGrowthPercent)
	return nil
}

// GateFromEnv reads the size gate: FROMSCRATCH_GATE names a JSON config,
// FROMSCRATCH_MAX_GROWTH (percent) overrides it; default 5 %.
func GateFromEnv() (matrix.Gate, error) {
	g := matrix.Gate{MaxGrowthPercent: 5}
	if p := os.Getenv("FROMSCRATCH_GATE"); p != "" {
		var err error
		if g, err = matrix.LoadGate(p); err != nil {
			return g, err
		}
	}
	if s := os.Getenv("FROMSCRATCH_MAX_GROWTH"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v < 0 {
			return g, fmt.Errorf("FROMSCRATCH_MAX_GROWTH=%q: want a non-negative percentage such as 5", s)
		}
		g.MaxGrowthPercent = v
	}
	return g, nil
}

// Clean removes out/.
func (c *CLI) Clean() error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	return os.RemoveAll(cfg.OutDir)
}

// PruneCache removes action-cache entries unused for longer than
// FROMSCRATCH_CACHE_MAX_AGE (default 720h) and prints what is left.
func (c *CLI) PruneCache(_ context.Context) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	age := 720 * time.Hour
	if s := os.Getenv("FROMSCRATCH_CACHE_MAX_AGE"); s != "" {
		if age, err = time.ParseDuration(s); err != nil || age < 0 {
			return fmt.Errorf("FROMSCRATCH_CACHE_MAX_AGE=%q: want a duration such as 720h", s)
		}
	}
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
