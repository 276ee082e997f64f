package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// Status of a cell.
const (
	StatusBuilt         = "built"
	StatusNotApplicable = "not-applicable"
	StatusUnavailable   = "unavailable" // the toolchain is missing on this machine
	StatusFailed        = "failed"
)

// Job is one cell with everything needed to build it.
type Job struct {
	Cell   recipe.Cell
	Recipe *recipe.Recipe
	Def    *toolchain.Definition
	Tool   toolchain.Status
	// Status is empty for a cell to build; otherwise not-applicable or
	// unavailable with Reason.
	Status, Reason string
}

// Inventory is what a run works on: recipes, toolchains and their
// detected state.
type Inventory struct {
	Recipes []*recipe.Recipe
	Defs    []*toolchain.Definition
	Tools   map[string]map[recipe.Platform]toolchain.Status
}

// LoadInventory reads recipes and toolchains and detects the toolchains.
func LoadInventory(ctx context.Context, cfg Config, run toolchain.Runner) (*Inventory, error) {
	recipes, err := recipe.LoadAll(filepath.Join(cfg.Root, "recipes"))
	if err != nil {
		return nil, err
	}
	if len(cfg.Recipes) > 0 {
		want := map[string]bool{}
		for _, n := range cfg.Recipes {
			want[n] = true
		}
		var keep []*recipe.Recipe
		for _, r := range recipes {
			if want[r.Name] {
				keep = append(keep, r)
				delete(want, r.Name)
			}
		}
		for n := range want {
			return nil, fmt.Errorf("recipe %q not found in recipes/ (have %s)", n, names(recipes))
		}
		recipes = keep
	}
	defs, err := toolchain.LoadAll(filepath.Join(cfg.Root, "toolchains"))
	if err != nil {
		return nil, err
	}
	inv := &Inventory{Recipes: recipes, Defs: defs, Tools: map[string]map[recipe.Platform]toolchain.Status{}}
	dirs := toolchain.SearchDirs(defs, cfg.CacheDir)
	for _, d := range defs {
		inv.Tools[d.Name] = map[recipe.Platform]toolchain.Status{}
		for _, s := range toolchain.Detect(ctx, run, d, dirs, envConfig(cfg, nil)) {
			inv.Tools[d.Name][s.Target.Platform] = s
		}
	}
	return inv, nil
}

func names(rs []*recipe.Recipe) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.Name)
	}
	return fmt.Sprint(s)
}

func envConfig(cfg Config, pathDirs []string) toolchain.EnvConfig {
	return toolchain.EnvConfig{
		PathDirs:        pathDirs,
		SourceDateEpoch: cfg.BuildDate.Unix(),
		CacheDir:        cfg.CacheDir,
		TempDir:         filepath.Join(cfg.CacheDir, "tmp"),
	}
}

// Jobs lists every cell of the matrix in order, with not-applicable and
// unavailable cells marked.
func (inv *Inventory) Jobs() []Job {
	var jobs []Job
	for _, r := range inv.Recipes {
		if r.Prebuilt != "" {
			jobs = append(jobs, prebuiltJob(r, inv.Defs))
			continue
		}
		for _, p := range recipe.Platforms {
			for _, d := range inv.Defs {
				for _, l := range recipe.Linkages {
					j := Job{Cell: recipe.Cell{Recipe: r.Name, Platform: p, Toolchain: d.Name, Linkage: l}, Recipe: r, Def: d}
					if reason, ok := toolchain.Applicable(d, r, p, l); !ok {
						j.Status, j.Reason = StatusNotApplicable, reason
					} else if s := inv.Tools[d.Name][p]; !s.Available {
						j.Status, j.Reason = StatusUnavailable, fmt.Sprintf("%s (%s)", s.Reason, s.Hint)
						j.Tool = s
					} else {
						j.Tool = s
					}
					jobs = append(jobs, j)
				}
			}
		}
	}
	sort.SliceStable(jobs, func(a, b int) bool { return jobs[a].Cell.Less(jobs[b].Cell) })
	return jobs
}
