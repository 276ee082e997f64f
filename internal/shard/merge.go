package shard

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Source is one shard output to merge: its directory and its manifest.
type Source struct {
	Dir      string
	Manifest *Manifest
}

func (s Source) String() string { return s.Manifest.Name + " (" + s.Dir + ")" }

// ReadSources reads the manifest of every directory, reporting every
// missing or foreign one at once.
func ReadSources(dirs []string) ([]Source, error) {
	var out []Source
	var errs []error
	for _, d := range dirs {
		m, err := Read(d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, Source{Dir: d, Manifest: m})
	}
	return out, errors.Join(errs...)
}

// Want is what a merge must produce.
type Want struct {
	// Cells are every cell of the matrix (Cell.String()) as the checkout
	// doing the merge sees it; empty = not checked.
	Cells []string
	// Inputs is InputsDigest of that checkout; empty = not checked.
	Inputs string
	// Partial accepts cells that no shard accounts for.
	Partial bool
}

// Owned is a cell of the merge and the shard whose row and artifacts it
// takes.
type Owned struct {
	Cell   Cell
	Source Source
}

// Assign checks that the shards can be merged and gives every cell one
// owner. It refuses, naming the shards or cells:
//   - no shard, or one shard name given twice;
//   - shards of different commits, recipes and toolchain files, fromscratch
//     versions, build dates or recipe selections, or of other recipes and
//     toolchain files than want.Inputs;
//   - one cell with different outcomes (status or digest) in two shards:
//     a reproducibility failure;
//   - cells of want.Cells that no shard accounts for, unless want.Partial;
//     and cells that are not in want.Cells.
//
// A cell in several shards with the same outcome is taken from the first
// shard by name. The result is sorted by cell name.
func Assign(sources []Source, want Want) ([]Owned, error) {
	if len(sources) == 0 {
		return nil, errors.New("merging: no shard outputs given")
	}
	srcs := slices.Clone(sources)
	sort.SliceStable(srcs, func(i, j int) bool { return srcs[i].Manifest.Name < srcs[j].Manifest.Name })
	var errs []error
	for i := 1; i < len(srcs); i++ {
		if srcs[i].Manifest.Name == srcs[i-1].Manifest.Name {
			errs = append(errs, fmt.Errorf("shard %s is given twice: %s and %s", srcs[i].Manifest.Name, srcs[i-1].Dir, srcs[i].Dir))
		}
	}
	first := srcs[0]
	for _, s := range srcs[1:] {
		errs = append(errs, mismatch(first, s)...)
	}
	if want.Inputs != "" && first.Manifest.Inputs != want.Inputs {
		errs = append(errs, fmt.Errorf("shard %s was built from other recipes/ and toolchains/ (%s) than this checkout's (%s): merge from the commit the shards built",
			first, first.Manifest.Inputs, want.Inputs))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("merging: %w", errors.Join(errs...))
	}

	owners := map[string]Owned{}
	for _, s := range srcs {
		for _, c := range s.Manifest.Cells {
			name := c.String()
			o, ok := owners[name]
			switch {
			case !ok:
				owners[name] = Owned{Cell: c, Source: s}
			case o.Cell.outcome() != c.outcome():
				errs = append(errs, fmt.Errorf("cell %s: %s in shard %s but %s in shard %s: the same cell built differently (a reproducibility failure)",
					name, o.Cell.outcome(), o.Source, c.outcome(), s))
			}
		}
	}
	if len(want.Cells) > 0 {
		expected := map[string]bool{}
		var missing []string
		for _, name := range want.Cells {
			expected[name] = true
			if _, ok := owners[name]; !ok {
				missing = append(missing, name)
			}
		}
		var foreign []string
		for name, o := range owners {
			if !expected[name] {
				foreign = append(foreign, name+" (shard "+o.Source.Manifest.Name+")")
			}
		}
		sort.Strings(foreign)
		if len(foreign) > 0 {
			errs = append(errs, fmt.Errorf("%d cell(s) are not in this checkout's matrix: %s", len(foreign), list(foreign)))
		}
		if len(missing) > 0 && !want.Partial {
			errs = append(errs, fmt.Errorf("%d cell(s) unaccounted for: no shard built them (a partial merge, FROMSCRATCH_PARTIAL=1, accepts that): %s", len(missing), list(missing)))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("merging: %w", errors.Join(errs...))
	}
	out := make([]Owned, 0, len(owners))
	for _, o := range owners {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Cell.String() < out[j].Cell.String() })
	return out, nil
}

// mismatch lists what differs between two shards' build inputs.
func mismatch(a, b Source) []error {
	var errs []error
	for _, f := range []struct{ what, x, y string }{
		{"commit", a.Manifest.Commit, b.Manifest.Commit},
		{"recipes/toolchains digest", a.Manifest.Inputs, b.Manifest.Inputs},
		{"fromscratch version", a.Manifest.Version, b.Manifest.Version},
		{"SOURCE_DATE_EPOCH", fmt.Sprint(a.Manifest.SourceDateEpoch), fmt.Sprint(b.Manifest.SourceDateEpoch)},
		{"recipe selection", strings.Join(a.Manifest.Recipes, ","), strings.Join(b.Manifest.Recipes, ",")},
	} {
		if f.x != f.y {
			errs = append(errs, fmt.Errorf("shard %s has %s %q but shard %s has %q: merge shards of one build", b, f.what, f.y, a, f.x))
		}
	}
	return errs
}

// list shows at most 20 names.
func list(names []string) string {
	if len(names) > 20 {
		return strings.Join(names[:20], ", ") + fmt.Sprintf(", ... (%d more)", len(names)-20)
	}
	return strings.Join(names, ", ")
}
