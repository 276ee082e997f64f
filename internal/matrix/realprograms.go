package matrix

import (
	"bytes"
	"fmt"
	"strings"
	"text/tabwriter"
)

// The real programs are the recipes built by their own build system
// (Row.Build set) from pinned upstream sources: gnuhello, jq, lua, ... Their
// section compares them across platforms and toolchains by image size
// alone, since the tables above already give every size of every cell.

// realPrograms is the grid of the real programs' rows, and whether there
// are any.
func realPrograms(m *Matrix) (grid, bool) {
	var rows []Row
	for _, r := range m.Rows {
		if r.IsRealProgram() {
			rows = append(rows, r)
		}
	}
	return newGrid(&Matrix{Rows: rows}), len(rows) > 0
}

// programLine says how a real program was built: "autotools, Debian jq
// 1.6-2.1+deb12u2, with onig", from its first row that says.
func (g grid) programLine(rec string) string {
	for _, p := range g.platforms {
		for _, v := range g.variants {
			if r, ok := g.cell(rec, p, v); ok && r.Build != "" {
				parts := []string{r.Build}
				if r.Source != "" {
					parts = append(parts, r.Source)
				}
				if len(r.Depends) > 0 {
					parts = append(parts, "with "+strings.Join(r.Depends, ", "))
				}
				return strings.Join(parts, ", ")
			}
		}
	}
	return ""
}

// imageCell is a real program's cell: the image size as `docker images`
// reports it and the smoke mark, or why there is no image.
func imageCell(r Row, ok bool, n *notes) string {
	if !ok {
		return missingCell
	}
	if r.Status != StatusBuilt {
		return resultText(r, n)
	}
	s := HumanBytes(r.Sizes.ImageDocker)
	if mark := resultText(r, n); mark != "" {
		s += " " + mark
	}
	return s
}

// smallest is, per platform, the real program's smallest image that did
// not fail its smoke test: "5.30 kB zig-static", or — when none was built.
func (g grid) smallest(rec string) []string {
	var out []string
	for _, p := range g.platforms {
		best, found := Row{}, false
		for _, v := range g.variants {
			r, ok := g.cell(rec, p, v)
			if !ok || r.Status != StatusBuilt || r.Smoke.Status == SmokeFail {
				continue
			}
			if !found || r.Sizes.ImageDocker < best.Sizes.ImageDocker {
				best, found = r, true
			}
		}
		if !found {
			out = append(out, missingCell)
			continue
		}
		out = append(out, HumanBytes(best.Sizes.ImageDocker)+" "+best.Toolchain+"-"+best.Linkage)
	}
	return out
}

// realProgramsMarkdown writes the section of the real programs: the
// smallest image of each per platform, then a table per program.
func realProgramsMarkdown(b *bytes.Buffer, m *Matrix) {
	g, ok := realPrograms(m)
	if !ok {
		return
	}
	b.WriteString("\n## Real programs\n\nThe recipes built by their own build system (autotools, CMake, make) from pinned upstream sources, " +
		"with the library recipes they depend on in their images. Each cell is the image size as `docker images` reports it " +
		"and the smoke result (✓, ✗, skipped), or why there is no image (`n/a`, `unavailable`, `FAILED`, see the notes).\n\n")
	b.WriteString("Smallest image per platform (of those that did not fail their smoke test):\n\n")
	smallest := &table{head: append([]string{"program"}, g.platforms...)}
	for _, rec := range g.recipes {
		smallest.add(rec, g.smallest(rec))
	}
	mdTable(b, smallest)
	for _, rec := range g.recipes {
		fmt.Fprintf(b, "\n### %s\n\n", mdEscape(rec))
		if line := g.programLine(rec); line != "" {
			b.WriteString(mdEscape(line) + "\n\n")
		}
		mdTable(b, g.recipeTable(rec, imageCell, false))
	}
}

// realProgramsTerminal writes the same section for a terminal width
// columns wide: per program its build line and a table with the platforms
// as columns (their names without "linux/").
func realProgramsTerminal(b *bytes.Buffer, m *Matrix, width int) {
	g, ok := realPrograms(m)
	if !ok {
		return
	}
	b.WriteString("\n")
	wrapTo(b, "REAL PROGRAMS: image sizes (as `docker images` reports them) and results of the recipes built by their own build system.", width, "")
	for _, rec := range g.recipes {
		b.WriteString("\n")
		wrapTo(b, oneLine(rec)+" ("+oneLine(g.programLine(rec))+")", width, "")
		t := g.recipeTable(rec, imageCell, true)
		lines := append([][]string{upper(t.head)}, t.body...)
		for _, l := range lines {
			for i := range l {
				l[i] = oneLine(l[i])
			}
		}
		// The platform columns in as few tables as fit the width: with
		// nine platforms, one table would be about 140 columns wide.
		for first, n := 1, len(t.head); first < n; {
			last := first + 1
			for last < n && widest(columns(lines, first, last+1)) <= width {
				last++
			}
			if first > 1 {
				b.WriteString("\n")
			}
			b.Write(columns(lines, first, last))
			first = last
		}
		for _, l := range t.notes.lines() {
			wrapTo(b, l, width, "  ")
		}
	}
}

// columns is the aligned table of the first column of lines and the
// columns [from, to).
func columns(lines [][]string, from, to int) []byte {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, l := range lines {
		fmt.Fprintln(tw, strings.Join(append([]string{l[0]}, l[from:min(to, len(l))]...), "\t"))
	}
	tw.Flush()
	return b.Bytes()
}

func upper(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = strings.ToUpper(x)
	}
	return out
}
