package matrix

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"strings"
)

// legend defines the cell format and every size field of the JSON and CSV.
const legend = `Each cell shows the **image size as ` + "`docker images`" + ` reports it** (uncompressed) and, in
parentheses, the registry size (` + "`pull`" + `: what a registry stores and a pull downloads) and the size of the
binary. ✓ the image ran and printed what the recipe expects, ✗ it did not,
no mark: the smoke test was skipped. ` + "`n/a`" + ` the recipe excludes the combination, ` + "`unavailable`" + ` the
toolchain is missing on the machine that ran the matrix, ` + "`FAILED`" + ` the build failed (see the numbered notes);
` + missingCell + ` the cell was not part of this run.
Sizes are SI: 1 kB = 1,000 bytes, 1 MB = 1,000,000 bytes.

| size field | meaning |
|---|---|
| ` + "`binary`" + ` | size of the program file |
| ` + "`text`, `data`, `bss`" + ` | ELF sections: code and read-only data, initialised data, zero-initialised data |
| ` + "`libraries`" + ` | shared-library closure copied into the image: ELF interpreter + libraries (` + "`library_count`" + ` files) |
| ` + "`layers_uncompressed`" + ` | sum of the uncompressed layer tars |
| ` + "`layers_compressed`" + ` | sum of the gzip-compressed layer blobs |
| ` + "`image_registry`" + ` | config + manifest + compressed layers: what a registry stores and a pull downloads (` + "`pull`" + ` in the cells) |
| ` + "`image_docker`" + ` | the bytes of the files in all layers: what ` + "`docker images`" + ` reports (shown in the cells) |
| ` + "`scan_data`" + ` | of ` + "`image_docker`" + `, what scanners read: dpkg status entries, os-release, the image's SBOM, and the program's package note (` + "`FROMSCRATCH_SCAN_DATA=0`" + ` leaves them out) |
`

// Markdown writes a legend, the toolchains, one table per platform (rows:
// recipes, columns: toolchain-linkage), one table per recipe (rows:
// toolchain-linkage, columns: platforms) and, when the matrix has real
// programs (Row.Build), their section: the smallest image of each per
// platform and a table of image sizes per program. The output has no
// timestamps.
func Markdown(w io.Writer, m *Matrix) error {
	g := newGrid(m)
	var b bytes.Buffer
	b.WriteString("# Image sizes\n\n" + legend)
	if tcs := toolchains(sorted(m)); len(tcs) > 0 {
		b.WriteString("\n| toolchain | version | libc | platforms |\n|---|---|---|---|\n")
		for _, t := range tcs {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdEscape(t.Toolchain), mdEscape(t.Version),
				mdEscape(t.Libc), strings.Join(t.Platforms, ", "))
		}
	}
	for _, p := range g.platforms {
		fmt.Fprintf(&b, "\n## %s\n\n", mdEscape(p))
		mdTable(&b, g.platformTable(p))
	}
	if len(g.recipes) > 0 {
		b.WriteString("\n## By recipe\n")
	}
	for _, rec := range g.recipes {
		fmt.Fprintf(&b, "\n### %s\n\n", mdEscape(rec))
		mdTable(&b, g.recipeTable(rec, cellText, false))
	}
	realProgramsMarkdown(&b, m)
	recipeNotes(&b, sorted(m))
	runtimeNotes(&b, sorted(m))
	if checked, differ := repro(sorted(m)); checked > 0 {
		fmt.Fprintf(&b, "\n## Reproducibility\n\n%d of %d checked cells rebuilt bit for bit.\n",
			checked-len(differ), checked)
		if len(differ) > 0 {
			b.WriteString("\n")
		}
		for _, r := range differ {
			fmt.Fprintf(&b, "- %s: %s\n", mdEscape(r.Key().String()), mdEscape(cmp.Or(r.ReproNote, "differs")))
		}
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing Markdown: %w", err)
	}
	return nil
}

// mdTable writes a table whose first column is left-aligned and the others
// right-aligned, followed by its notes.
func mdTable(b *bytes.Buffer, t *table) {
	line := func(cells []string) {
		for i := range cells {
			cells[i] = mdEscape(cells[i])
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	line(t.head)
	b.WriteString("|---|" + strings.Repeat("--:|", len(t.head)-1) + "\n")
	for _, l := range t.body {
		line(l)
	}
	if notes := t.notes.lines(); len(notes) > 0 {
		b.WriteString("\n")
		for _, l := range notes {
			b.WriteString("- " + mdEscape(l) + "\n")
		}
	}
}

// mdEscape keeps text from breaking a table or being read as markup.
var mdEscape = strings.NewReplacer("|", `\|`, "\n", " ", "\r", "", "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`).Replace

// runtimeNotes lists, per platform, where the dynamic images' loader and
// libraries come from, when the rows say.
func runtimeNotes(b *bytes.Buffer, rows []Row) {
	seen := map[string]bool{}
	var lines []string
	for _, r := range rows {
		if r.Runtime == "" || r.Status != StatusBuilt {
			continue
		}
		line := fmt.Sprintf("- %s: %s", r.Platform, r.Runtime)
		if !seen[line] {
			seen[line] = true
			lines = append(lines, line)
		}
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("\n## Runtime libraries of dynamic images\n\n")
	b.WriteString(strings.Join(lines, "\n") + "\n")
}
