package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/recipe"
	"github.com/fromscratch/fromscratch/internal/toolchain"
)

// Job is one cell with everything needed to build it.
type Job struct {
	Cell   recipe.Cell
	Recipe *recipe.Recipe
	Def    *toolchain.Definition
	Tool   toolchain.Status
	// Status is empty for a cell to build; otherwise not-applicable,
	// unavailable or failed (a recipe that does not load), with Reason.
	Status matrix.Status
	Reason string
	// Deps are the libraries a project recipe depends on, directly or
	// not, in build order.
	Deps []*recipe.Recipe
}

// Inventory is what a run works on: recipes, toolchains and their
// detected state.
type Inventory struct {
	Recipes []*recipe.Recipe
	// Broken are the recipes that did not load, by folder name: their
	// cells are failed with the error, and the others still build.
	Broken map[string]error
	// Known are all the recipes that load, selected or not: where the
	// libraries that recipes depend on are looked up.
	Known []*recipe.Recipe
	// KnownBroken are all the recipes that do not load, selected or not:
	// a dependency on one is failed with its error.
	KnownBroken map[string]error
	Defs        []*toolchain.Definition
	Tools       map[string]map[recipe.Platform]toolchain.Status
}

// Inventory reads recipes and toolchains and detects the toolchains.
func (b *Builder) Inventory(ctx context.Context) (*Inventory, error) {
	defs, err := toolchain.LoadAll(b.opts.toolchainDir())
	if err != nil {
		return nil, err
	}
	recipes, broken, err := loadRecipes(filepath.Join(b.opts.Root, "recipes"), b.opts.Recipes, defs)
	if err != nil {
		return nil, err
	}
	known, knownBroken := recipes, broken
	if len(b.opts.Recipes) > 0 {
		if known, knownBroken, err = loadRecipes(filepath.Join(b.opts.Root, "recipes"), nil, defs); err != nil {
			return nil, err
		}
	}
	if br := b.opts.BuildRoot; br != nil && br.Problem != nil {
		return nil, fmt.Errorf("the build root: %w", br.Problem)
	}
	inv := &Inventory{Recipes: recipes, Broken: broken, Known: known, KnownBroken: knownBroken, Defs: defs, Tools: map[string]map[recipe.Platform]toolchain.Status{}}
	dirs := toolchain.SearchDirs(defs, b.opts.CacheDir, b.opts.HostPath)
	for _, d := range defs {
		inv.Tools[d.Name] = map[recipe.Platform]toolchain.Status{}
		var found []toolchain.Status
		if br := b.opts.BuildRoot; br != nil {
			found = toolchain.DetectInRoot(d, br.ToolRoot(), b.opts.CacheDir)
		} else {
			found = toolchain.Detect(ctx, b.run, d, dirs, b.envConfig(nil))
		}
		for _, s := range found {
			inv.Tools[d.Name][s.Target.Platform] = s
		}
	}
	return inv, nil
}

// loadRecipes loads the recipes of root (only the named ones when names is
// not empty). A recipe that does not load is returned in broken; a named
// recipe that does not exist is an error.
func loadRecipes(root string, names []string, defs []*toolchain.Definition) ([]*recipe.Recipe, map[string]error, error) {
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("no recipes/ folder in %s (nor in its parents): a project holds recipes/<name>/recipe.toml; fromscratch init dir PATH or init debian NAME writes the first", filepath.Dir(root))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("listing recipes: %w", err)
	}
	var have []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(root, e.Name(), recipe.FileName)); e.IsDir() && err == nil {
			have = append(have, e.Name())
		}
	}
	for _, n := range names {
		if !slices.Contains(have, n) {
			hint := ""
			if c := recipe.Closest(n, have); c != "" {
				hint = fmt.Sprintf(", did you mean %s?", c)
			}
			return nil, nil, fmt.Errorf("%s/: unknown recipe %q%s (allowed: %s)", filepath.Base(root), n, hint, strings.Join(have, ", "))
		}
	}
	known := []string{prebuiltToolchain}
	for _, d := range defs {
		known = append(known, d.Name)
	}
	var out []*recipe.Recipe
	broken := map[string]error{}
	for _, n := range have {
		if len(names) > 0 && !slices.Contains(names, n) {
			continue
		}
		r, err := recipe.Load(filepath.Join(root, n))
		if err == nil {
			err = r.CheckToolchains(known)
		}
		if err != nil {
			broken[n] = err
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, broken, nil
}

// Jobs lists every cell of the matrix on the given platforms (all when
// empty) in order, with not-applicable, unavailable and broken cells
// marked.
func (inv *Inventory) Jobs(platforms []recipe.Platform) []Job {
	return inv.JobsFor(platforms, nil)
}

// JobsFor is Jobs limited to the named toolchains too (all when empty;
// "prebuilt" names the cells of prebuilt recipes).
func (inv *Inventory) JobsFor(platforms []recipe.Platform, toolchains []string) []Job {
	all := inv.jobs(platforms)
	if len(toolchains) == 0 {
		return all
	}
	var jobs []Job
	for _, j := range all {
		if slices.Contains(toolchains, j.Cell.Toolchain) {
			jobs = append(jobs, j)
		}
	}
	return jobs
}

// CheckToolchains refuses names that are neither a toolchain file's nor
// "prebuilt", listing the known ones.
func (inv *Inventory) CheckToolchains(names []string) error {
	known := []string{prebuiltToolchain}
	for _, d := range inv.Defs {
		known = append(known, d.Name)
	}
	for _, n := range names {
		if !slices.Contains(known, n) {
			sort.Strings(known)
			hint := ""
			if c := recipe.Closest(n, known); c != "" {
				hint = fmt.Sprintf(", did you mean %s?", c)
			}
			return fmt.Errorf("unknown toolchain %q%s (allowed: %s)", n, hint, strings.Join(known, ", "))
		}
	}
	return nil
}

func (inv *Inventory) jobs(platforms []recipe.Platform) []Job {
	if len(platforms) == 0 {
		platforms = recipe.Platforms
	}
	var jobs []Job
	for name, err := range inv.Broken {
		for _, p := range platforms {
			for _, d := range inv.Defs {
				for _, l := range recipe.Linkages {
					jobs = append(jobs, Job{
						Cell:   recipe.Cell{Recipe: name, Platform: p, Toolchain: d.Name, Linkage: l},
						Recipe: &recipe.Recipe{Name: name}, Def: d,
						Status: matrix.StatusFailed, Reason: err.Error(),
					})
				}
			}
		}
	}
	for _, r := range inv.Recipes {
		if r.IsLibrary() {
			continue // built in the cells of the programs that depend on it
		}
		var deps []*recipe.Recipe
		var depErr error
		if len(r.Depends) > 0 {
			deps, depErr = dependencies(r, inv.Known, inv.KnownBroken)
		}
		if r.Prebuilt != "" {
			if j := prebuiltJob(r, inv.Defs); slices.Contains(platforms, j.Cell.Platform) {
				jobs = append(jobs, j)
			}
			continue
		}
		for _, p := range platforms {
			for _, d := range inv.Defs {
				for _, l := range recipe.Linkages {
					j := Job{Cell: recipe.Cell{Recipe: r.Name, Platform: p, Toolchain: d.Name, Linkage: l}, Recipe: r, Def: d, Deps: deps}
					if reason, ok := toolchain.Applicable(d, r, p, l); !ok {
						j.Status, j.Reason = matrix.StatusNotApplicable, reason
					} else if depErr != nil {
						j.Status, j.Reason = matrix.StatusFailed, depErr.Error()
					} else if reason, ok := depsApplicable(d, deps, p, l); !ok {
						j.Status, j.Reason = matrix.StatusNotApplicable, reason
					} else if s := inv.Tools[d.Name][p]; !s.Available {
						j.Status, j.Reason = matrix.StatusUnavailable, fmt.Sprintf("%s (%s)", s.Reason, s.Hint)
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

// dependencies are the libraries r depends on, in build order, looked up
// among known. Only r's own dependencies are looked at: a cycle or a
// missing recipe elsewhere fails those recipes, not r. A dependency on a
// recipe that does not load (broken) is failed with its error; one on no
// recipe at all lists every recipe, with the closest name.
func dependencies(r *recipe.Recipe, known []*recipe.Recipe, broken map[string]error) ([]*recipe.Recipe, error) {
	byName := map[string]*recipe.Recipe{}
	for _, k := range known {
		byName[k.Name] = k
	}
	seen := map[string]bool{r.Name: true}
	closure := []*recipe.Recipe{r}
	for i := 0; i < len(closure); i++ {
		for _, d := range closure[i].Depends {
			if seen[d] {
				continue
			}
			seen[d] = true
			dep, ok := byName[d]
			switch {
			case ok:
				closure = append(closure, dep)
			case broken[d] != nil:
				return nil, fmt.Errorf("dependencies of %s: %s depends on %s, which does not load: %w", r.Name, closure[i].Name, d, broken[d])
			default:
				names := append(slices.Collect(maps.Keys(byName)), slices.Collect(maps.Keys(broken))...)
				slices.Sort(names)
				return nil, fmt.Errorf("dependencies of %s: %s depends on %s, which is not a recipe%s (recipes: %s)",
					r.Name, closure[i].Name, d, recipe.DidYouMean(d, names), strings.Join(names, ", "))
			}
		}
	}
	deps, err := recipe.Dependencies(r, closure)
	if err != nil {
		return nil, fmt.Errorf("dependencies of %s: %w", r.Name, err)
	}
	return deps, nil
}

// depsApplicable says why a cell cannot exist when one of its libraries
// excludes it.
func depsApplicable(d *toolchain.Definition, deps []*recipe.Recipe, p recipe.Platform, l recipe.Linkage) (string, bool) {
	for _, dep := range deps {
		if reason, ok := toolchain.Applicable(d, dep, p, l); !ok {
			return fmt.Sprintf("dependency %s: %s", dep.Name, reason), false
		}
	}
	return "", true
}
