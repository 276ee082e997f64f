package matrix

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// variant is a column of the tables: a toolchain with a linkage.
type variant struct{ Toolchain, Linkage string }

func (v variant) String() string { return v.Toolchain + "-" + v.Linkage }

func compareVariants(a, b variant) int {
	return cmp.Or(strings.Compare(a.Toolchain, b.Toolchain), compareRanked(linkageOrder, a.Linkage, b.Linkage))
}

// grid indexes a matrix by its axes, each in display order. Every table and
// the chart use the same axes, so a cell missing from one platform shows as
// missing rather than shifting the columns.
type grid struct {
	recipes   []string
	platforms []string
	variants  []variant
	cells     map[Key]Row
}

func newGrid(m *Matrix) grid {
	g := grid{cells: make(map[Key]Row, len(m.Rows))}
	for _, r := range m.Rows {
		g.cells[r.Key()] = r
		g.recipes = append(g.recipes, r.Recipe)
		g.platforms = append(g.platforms, r.Platform)
		g.variants = append(g.variants, variant{r.Toolchain, r.Linkage})
	}
	slices.Sort(g.recipes)
	g.recipes = slices.Compact(g.recipes)
	slices.SortFunc(g.platforms, func(a, b string) int { return compareRanked(platformOrder, a, b) })
	g.platforms = slices.Compact(g.platforms)
	slices.SortFunc(g.variants, compareVariants)
	g.variants = slices.Compact(g.variants)
	return g
}

func (g grid) cell(recipe, platform string, v variant) (Row, bool) {
	r, ok := g.cells[Key{Recipe: recipe, Platform: platform, Toolchain: v.Toolchain, Linkage: v.Linkage}]
	return r, ok
}

// notes numbers the reasons cited by the cells of one table; the same text
// gets the same number.
type notes struct{ texts []string }

func (n *notes) ref(text string) string {
	// Notes are only ever added for cells that are shown: a line of missing
	// cells cites none, so dropping it leaves no orphan note.
	i := slices.Index(n.texts, text)
	if i < 0 {
		n.texts = append(n.texts, text)
		i = len(n.texts) - 1
	}
	return "[" + strconv.Itoa(i+1) + "]"
}

// lines returns the notes as "[1] text" lines.
func (n *notes) lines() []string {
	out := make([]string, len(n.texts))
	for i, t := range n.texts {
		out[i] = "[" + strconv.Itoa(i+1) + "] " + t
	}
	return out
}

// missingCell marks a cell that is not in the matrix at all.
const missingCell = "—"

// cellText renders one cell: "2.38 MB (pull 1.00 MB, bin 16.0 kB) ✓", "n/a [1]",
// "unavailable [2]" or "FAILED [3]".
// Reasons go to n so the table stays narrow.
func cellText(r Row, ok bool, n *notes) string {
	if !ok {
		return missingCell
	}
	switch r.Status {
	case StatusNotApplicable:
		return withNote("n/a", "not applicable: ", r.Reason, n)
	case StatusUnavailable:
		return withNote("unavailable", "unavailable: ", r.Reason, n)
	case StatusFailed:
		return withNote("FAILED", "failed: ", r.Reason, n)
	}
	s := HumanBytes(r.Sizes.ImageDocker) + " (pull " + HumanBytes(r.Sizes.ImageRegistry) + ", bin " + HumanBytes(r.Sizes.Binary) + ")"
	switch r.Smoke.Status {
	case SmokePass:
		s += " ✓"
	case SmokeFail:
		why := r.Smoke.Reason
		if out := strings.TrimSpace(r.Smoke.Output); out != "" {
			why = strings.TrimPrefix(why+": ", ": ") + clip(out, 160)
		}
		s += " " + withNote("✗", "smoke test failed: ", why, n)
	}
	return s
}

// clip shortens s to at most n runes, marking the cut.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// table is a rendered table before formatting: a header, lines of cells and
// the notes the cells cite.
type table struct {
	head  []string
	body  [][]string
	notes notes
}

// add appends a line unless all its cells are missing.
func (t *table) add(label string, cells []string) {
	for _, c := range cells {
		if c != missingCell {
			t.body = append(t.body, append([]string{label}, cells...))
			return
		}
	}
}

// platformTable has a line per recipe and a column per variant.
func (g grid) platformTable(p string) *table {
	t := &table{head: []string{"recipe"}}
	for _, v := range g.variants {
		t.head = append(t.head, v.String())
	}
	for _, rec := range g.recipes {
		var cells []string
		for _, v := range g.variants {
			r, ok := g.cell(rec, p, v)
			cells = append(cells, cellText(r, ok, &t.notes))
		}
		t.add(rec, cells)
	}
	return t
}

// recipeTable has a line per variant and a column per platform, each
// cell rendered by text (cellText: every size; imageCell: the image);
// short drops "linux/" from the platforms' names.
func (g grid) recipeTable(rec string, text func(Row, bool, *notes) string, short bool) *table {
	t := &table{head: []string{"variant"}}
	for _, p := range g.platforms {
		if short {
			p = strings.TrimPrefix(p, "linux/")
		}
		t.head = append(t.head, p)
	}
	for _, v := range g.variants {
		var cells []string
		for _, p := range g.platforms {
			r, ok := g.cell(rec, p, v)
			cells = append(cells, text(r, ok, &t.notes))
		}
		t.add(v.String(), cells)
	}
	return t
}

func withNote(mark, prefix, reason string, n *notes) string {
	reason = strings.Join(strings.Fields(reason), " ") // one line
	if reason == "" {
		return mark
	}
	return mark + " " + n.ref(prefix+reason)
}

// toolchainLine is one distinct toolchain build seen in the matrix.
type toolchainLine struct {
	Toolchain, Version, Libc string
	Platforms                []string
}

// toolchains lists the toolchain versions and libcs of the built cells,
// with the platforms each served, for the Markdown and terminal headers.
func toolchains(rows []Row) []toolchainLine {
	var out []toolchainLine
	for _, r := range rows {
		if r.Status != StatusBuilt {
			continue
		}
		i := slices.IndexFunc(out, func(t toolchainLine) bool {
			return t.Toolchain == r.Toolchain && t.Version == r.ToolchainVersion && t.Libc == r.Libc
		})
		if i < 0 {
			out = append(out, toolchainLine{Toolchain: r.Toolchain, Version: r.ToolchainVersion, Libc: r.Libc})
			i = len(out) - 1
		}
		if !slices.Contains(out[i].Platforms, r.Platform) {
			out[i].Platforms = append(out[i].Platforms, r.Platform)
		}
	}
	for _, t := range out {
		slices.SortFunc(t.Platforms, func(a, b string) int { return compareRanked(platformOrder, a, b) })
	}
	slices.SortFunc(out, func(a, b toolchainLine) int {
		return cmp.Or(strings.Compare(a.Toolchain, b.Toolchain), strings.Compare(a.Version, b.Version),
			strings.Compare(a.Libc, b.Libc))
	})
	return out
}

// repro summarises the reproducibility checks: how many cells were checked
// and which were not reproducible.
func repro(rows []Row) (checked int, differ []Row) {
	for _, r := range rows {
		if r.Reproducible == nil {
			continue
		}
		checked++
		if !*r.Reproducible {
			differ = append(differ, r)
		}
	}
	return checked, differ
}
