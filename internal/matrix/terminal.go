package matrix

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Terminal writes the matrix for a terminal: the toolchains, then one
// aligned table per platform (rows: recipes, columns: toolchain-linkage),
// each followed by its notes.
func Terminal(w io.Writer, m *Matrix) error {
	g := newGrid(m)
	var b bytes.Buffer
	b.WriteString("cell: image size as `docker images` reports it (bin: binary size); ✓/✗ smoke test; SI units\n")
	if tcs := toolchains(sorted(m)); len(tcs) > 0 {
		b.WriteString("\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TOOLCHAIN\tVERSION\tLIBC\tPLATFORMS")
		for _, t := range tcs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Toolchain, t.Version, t.Libc, strings.Join(t.Platforms, ", "))
		}
		tw.Flush()
	}
	for _, p := range g.platforms {
		fmt.Fprintf(&b, "\n%s\n", p)
		t := g.platformTable(p)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.ToUpper(strings.Join(t.head, "\t")))
		for _, l := range t.body {
			for i := range l {
				l[i] = oneLine(l[i])
			}
			fmt.Fprintln(tw, strings.Join(l, "\t"))
		}
		tw.Flush()
		for _, l := range t.notes.lines() {
			b.WriteString("  " + oneLine(l) + "\n")
		}
	}
	if checked, differ := repro(sorted(m)); checked > 0 {
		fmt.Fprintf(&b, "\nreproducible: %d of %d checked cells\n", checked-len(differ), checked)
		for _, r := range differ {
			b.WriteString("  not reproducible: " + oneLine(r.Key().String()+": "+r.ReproNote) + "\n")
		}
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing terminal tables: %w", err)
	}
	return nil
}

// oneLine keeps tabs and newlines in names from breaking the alignment.
var oneLine = strings.NewReplacer("\t", " ", "\n", " ", "\r", "").Replace
