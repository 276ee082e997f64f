package matrix

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// warningPlace is the "file.c:(.text+0x13): " part of a linker warning,
// which differs per cell for the same warning.
var warningPlace = regexp.MustCompile(`^.*?: (in function [^:]*: )?(\S*:\(\S+\): )?`)

// recipeNotes writes, for each recipe whose cells warned at link time or
// printed different things in their smoke runs, what each group of cells
// got: the static-glibc NSS warnings, and what the program did in a
// scratch image, are shown rather than hidden behind a check mark.
func recipeNotes(b *bytes.Buffer, rows []Row) {
	type group struct {
		text  string
		cells []string
	}
	add := func(gs []group, text, cell string) []group {
		for i := range gs {
			if gs[i].text == text {
				gs[i].cells = append(gs[i].cells, cell)
				return gs
			}
		}
		return append(gs, group{text, []string{cell}})
	}
	var recipes []string
	warns := map[string][]group{}
	outs := map[string][]group{}
	for _, r := range rows {
		if r.Status != StatusBuilt {
			continue
		}
		if !slices.Contains(recipes, r.Recipe) {
			recipes = append(recipes, r.Recipe)
		}
		cell := r.Platform + " " + r.Toolchain + "-" + r.Linkage
		for _, w := range r.Warnings {
			if strings.Contains(w, "warning:") {
				w = "warning:" + strings.SplitN(w, "warning:", 2)[1]
			}
			warns[r.Recipe] = add(warns[r.Recipe], strings.TrimSpace(warningPlace.ReplaceAllString(w, "")), cell)
		}
		if r.Smoke.Status != "" {
			outs[r.Recipe] = add(outs[r.Recipe], r.Smoke.Output, cell)
		}
	}
	started := false
	for _, rec := range recipes {
		if len(warns[rec]) == 0 && len(outs[rec]) < 2 {
			continue
		}
		if !started {
			b.WriteString("\n## Warnings and outputs\n\nWhat the compilers warned about and what the programs printed in their scratch images, for recipes where cells differ.\n")
			started = true
		}
		fmt.Fprintf(b, "\n### %s\n", mdEscape(rec))
		for _, g := range warns[rec] {
			fmt.Fprintf(b, "\n- warning in %s: `%s`\n", cellList(g.cells), strings.ReplaceAll(g.text, "`", "'"))
		}
		for _, g := range outs[rec] {
			fmt.Fprintf(b, "\n- output of %s:\n\n```\n%s```\n", cellList(g.cells), g.text)
		}
	}
}

func cellList(cells []string) string {
	if len(cells) > 6 {
		return fmt.Sprintf("%d cells (%s, ...)", len(cells), strings.Join(cells[:3], ", "))
	}
	return strings.Join(cells, ", ")
}
