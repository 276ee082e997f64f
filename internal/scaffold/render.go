package scaffold

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// Spec is a recipe to write.
type Spec struct {
	Name string
	// Origin says where the source comes from, for the description and
	// the file's head: "Debian hello 2.10-3", "the folder myprog".
	Origin string
	Guess  Guess
	// Source is the [source] table (TOML), "" when the recipe folder is
	// the source tree.
	Source string
}

// Render is the text of recipe.toml for s: the guessed build, the
// source, and a smoke stub to fill in, with comments saying what to
// check. What it writes loads as it is: the stub accepts any output of a
// run that exits 0.
func Render(s Spec) []byte {
	var b strings.Builder
	g := s.Guess
	fmt.Fprintf(&b, "# Written by fromscratch init from %s; check every line.\n", s.Origin)
	fmt.Fprintf(&b, "# The build system was guessed from %s.\n", g.Because)
	if g.Other != "" {
		fmt.Fprintf(&b, "# The tree also has %s, a build system fromscratch does not drive.\n", g.Other)
	}
	fmt.Fprintf(&b, "description = %s\n", strconv.Quote(s.Name+" (from "+s.Origin+")"))
	fmt.Fprintf(&b, "language = %s\n", strconv.Quote(string(g.Language)))
	fmt.Fprintf(&b, "build = %s\n", strconv.Quote(string(g.Build)))
	if g.Build == recipe.BuildFiles {
		fmt.Fprintf(&b, "sources = %s   # compiled and linked by fromscratch; add include_dirs, defines, libraries as needed\n", quoteList(g.Sources))
	} else {
		renderProject(&b, s.Name, g)
	}
	if s.Source != "" {
		b.WriteString("\n" + strings.TrimRight(s.Source, "\n") + "\n")
	}
	fmt.Fprintf(&b, `
# What a run of the image must do. A scratch image has no shell: /%s
# runs alone, with args (also the image's Cmd). As written, any output
# passes when the program exits 0: say what it must print.
[smoke]
args = []
# stdout = "the exact output\n"
# stdout_regexp = '^%s '          # or a Go regexp the output must match
# exit_code = 0
`, s.Name, s.Name)
	return []byte(b.String())
}

// renderProject writes the keys of a project with its own build system.
func renderProject(b *strings.Builder, name string, g Guess) {
	fmt.Fprintf(b, "binary = %s   # the installed program; it becomes /%s in the image\n", strconv.Quote("usr/bin/"+name), name)
	switch g.Build {
	case recipe.BuildAutotools:
		if g.Autoreconf {
			b.WriteString("autoreconf = true   # the tree has configure.ac but no configure\n")
		}
		if g.PlainConfigure {
			b.WriteString("configure_style = \"plain\"   # configure is not autoconf's: only --prefix, --libdir and configure_args are passed\n")
		}
		b.WriteString("configure_args = []   # e.g. --disable-nls; placeholders {stage} {host} {build} {jobs} {cc} {cflags} {ldflags} {libs}\n")
	case recipe.BuildCMake:
		b.WriteString("cmake_args = []   # e.g. -DBUILD_TESTING=OFF\n")
	case recipe.BuildMake:
		if g.NoInstall {
			fmt.Fprintf(b, "built = %s   # %s has no install target: this built file is taken\n", strconv.Quote(name), g.Because)
		}
		b.WriteString("make_args = []   # targets and variables; CC, CFLAGS and LDFLAGS come from the cell and replace the Makefile's own\n")
	}
	b.WriteString("# depends = []   # library recipes this program links with\n")
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
