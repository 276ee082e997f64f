package matrix

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// DefaultWidth is the terminal width Terminal fits when given none.
const DefaultWidth = 80

// terminalLegend explains the columns of the terminal tables.
const terminalLegend = "IMAGE: the files in the image, as `docker images` reports them; PULL: config, " +
	"manifest and gzip layers, what a registry stores and a pull downloads; BINARY: the program file; " +
	"SI units (1 kB = 1000 B). RESULT: ✓ the smoke test passed, ✗ it failed."

// Terminal writes the matrix for a terminal width columns wide
// (DefaultWidth when width < 1): a legend, the toolchains, then per
// platform a table with a line per recipe and variant (image, pull and
// binary sizes, and the smoke result or why the cell has no image),
// followed by the notes it cites, and the real programs' image sizes (a
// table per program, platforms as columns). Below about 66 columns the BINARY column
// is left out. Lines fit the width unless a recipe or toolchain name alone
// is too long for it.
func Terminal(w io.Writer, m *Matrix, width int) error {
	if width < 1 {
		width = DefaultWidth
	}
	g := newGrid(m)
	var b bytes.Buffer
	wrapTo(&b, terminalLegend, width, "")
	if tcs := toolchains(sorted(m)); len(tcs) > 0 {
		b.WriteString("\n")
		toolchainLines(&b, tcs, width)
	}
	for _, p := range g.platforms {
		fmt.Fprintf(&b, "\n%s\n", p)
		var n notes
		t := platformLines(g, p, &n, true)
		if widest(t) > width {
			t = platformLines(g, p, &notes{}, false) // too narrow: no BINARY column
		}
		b.Write(t)
		for _, l := range n.lines() {
			wrapTo(&b, l, width, "  ")
		}
	}
	realProgramsTerminal(&b, m, width)
	if checked, differ := repro(sorted(m)); checked > 0 {
		fmt.Fprintf(&b, "\nreproducible: %d of %d checked cells\n", checked-len(differ), checked)
		for _, r := range differ {
			wrapTo(&b, "not reproducible: "+r.Key().String()+": "+r.ReproNote, width, "  ")
		}
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing terminal tables: %w", err)
	}
	return nil
}

// toolchainLines is the table of toolchains, its PLATFORMS column
// wrapped to width (nine platforms do not fit one line of 80 columns).
func toolchainLines(b *bytes.Buffer, tcs []toolchainLine, width int) {
	rows := [][]string{{"TOOLCHAIN", "VERSION", "LIBC"}}
	lists := [][]string{{"PLATFORMS"}}
	for _, t := range tcs {
		short := make([]string, len(t.Platforms))
		for i, p := range t.Platforms {
			short[i] = strings.TrimPrefix(p, "linux/")
		}
		rows = append(rows, []string{oneLine(t.Toolchain), oneLine(t.Version), oneLine(t.Libc)})
		lists = append(lists, short)
	}
	colWidth := make([]int, 3)
	for _, r := range rows {
		for i, c := range r {
			colWidth[i] = max(colWidth[i], utf8.RuneCountInString(c))
		}
	}
	for i, r := range rows {
		var prefix string
		for j, c := range r {
			prefix += c + strings.Repeat(" ", colWidth[j]-utf8.RuneCountInString(c)+2)
		}
		indent := strings.Repeat(" ", utf8.RuneCountInString(prefix))
		room := max(width-len(indent), 20) // a silly width still shows something
		line := ""
		for k, p := range lists[i] {
			if k < len(lists[i])-1 {
				p += ","
			}
			if line != "" && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(p) > room {
				b.WriteString(prefix + line + "\n")
				prefix, line = indent, ""
			}
			if line != "" {
				line += " "
			}
			line += p
		}
		b.WriteString(prefix + line + "\n")
	}
}

// platformLines is the aligned table of one platform: a line per recipe
// and variant in the matrix, with or without the BINARY column.
func platformLines(g grid, p string, n *notes, binary bool) []byte {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	cols := func(c ...string) {
		if !binary {
			c = append(c[:4], c[5:]...)
		}
		fmt.Fprintln(tw, strings.Join(c, "\t"))
	}
	cols("RECIPE", "VARIANT", "IMAGE", "PULL", "BINARY", "RESULT")
	for _, rec := range g.recipes {
		label := oneLine(rec)
		for _, v := range g.variants {
			r, ok := g.cell(rec, p, v)
			if !ok {
				continue
			}
			image, pull, bin := "", "", ""
			if r.Status == StatusBuilt {
				image, pull, bin = HumanBytes(r.Sizes.ImageDocker), HumanBytes(r.Sizes.ImageRegistry), HumanBytes(r.Sizes.Binary)
			}
			cols(label, oneLine(v.String()), image, pull, bin, resultText(r, n))
			label = ""
		}
	}
	tw.Flush()
	return b.Bytes()
}

// widest is the length in runes of the longest line of b.
func widest(b []byte) int {
	w := 0
	for _, l := range strings.Split(string(b), "\n") {
		w = max(w, utf8.RuneCountInString(l))
	}
	return w
}

// resultText is a cell's RESULT: the smoke mark of a built cell, or its
// status; reasons go to n.
func resultText(r Row, n *notes) string {
	switch r.Status {
	case StatusNotApplicable:
		return withNote("n/a", "not applicable: ", r.Reason, n)
	case StatusUnavailable:
		return withNote("unavailable", "unavailable: ", r.Reason, n)
	case StatusFailed:
		return withNote("FAILED", "failed: ", r.Reason, n)
	}
	switch r.Smoke.Status {
	case SmokePass:
		return "✓"
	case SmokeFail:
		why := r.Smoke.Reason
		if out := strings.TrimSpace(r.Smoke.Output); out != "" {
			why = strings.TrimPrefix(why+": ", ": ") + clip(out, 160)
		}
		return withNote("✗", "smoke test failed: ", why, n)
	case SmokeSkipped:
		return withNote("skipped", "smoke test skipped: ", r.Smoke.Reason, n)
	}
	return ""
}

// wrapTo writes text as lines of at most width runes, the first starting
// with indent and the others with indent and four spaces; a word longer
// than a line is cut.
func wrapTo(b *bytes.Buffer, text string, width int, indent string) {
	cont := indent + "    "
	line, prefix := "", indent
	flush := func() {
		b.WriteString(prefix + line + "\n")
		line, prefix = "", cont
	}
	for _, word := range strings.Fields(text) {
		for {
			room := width - utf8.RuneCountInString(prefix)
			if room < 10 {
				room = 10 // a silly width still shows something
			}
			switch {
			case line == "" && utf8.RuneCountInString(word) <= room:
				line = word
			case line != "" && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) <= room:
				line += " " + word
			case line != "":
				flush()
				continue
			default: // a word longer than the line
				r := []rune(word)
				line, word = string(r[:room]), string(r[room:])
				flush()
				continue
			}
			break
		}
	}
	if line != "" {
		flush()
	}
}

// oneLine keeps tabs and newlines in names from breaking the alignment.
var oneLine = strings.NewReplacer("\t", " ", "\n", " ", "\r", "").Replace
