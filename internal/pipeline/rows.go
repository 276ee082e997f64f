package pipeline

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/fromscratch/fromscratch/internal/cache"
	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/recipe"
)

// Rows turns a report into the size matrix: one row per cell.
func Rows(rep *Report) *matrix.Matrix {
	m := &matrix.Matrix{SchemaVersion: matrix.SchemaVersion}
	versions := newRecipeVersions(rep.digest)
	for _, j := range rep.Jobs {
		row := matrix.Row{
			Recipe:    j.Cell.Recipe,
			Platform:  string(j.Cell.Platform),
			Toolchain: j.Cell.Toolchain,
			Libc:      j.Def.Linkage(j.Cell.Linkage).Libc,
			Linkage:   string(j.Cell.Linkage),
			Reason:    j.Reason,
		}
		row.ToolchainVersion = j.Tool.Version
		if j.Recipe != nil {
			row.RecipeVersion = versions.of(j.Recipe)
		}
		j.kind().describe(j, &row)
		if j.Status != "" {
			row.Status = j.Status
		} else {
			fill(&row, rep.Results[j.Cell.String()])
		}
		m.Rows = append(m.Rows, row)
	}
	m.Sort()
	return m
}

// recipeVersions memoizes the version of each recipe (ProgramVersion of
// its SourceDigest) by name; "" for one whose inputs cannot be read.
type recipeVersions struct {
	digest digester // the Builder's memo; nil: cache.FileDigest
	by     map[string]string
}

func newRecipeVersions(digest digester) recipeVersions {
	if digest == nil {
		digest = cache.FileDigest
	}
	return recipeVersions{digest: digest, by: map[string]string{}}
}

func (v recipeVersions) of(rc *recipe.Recipe) string {
	if ver, ok := v.by[rc.Name]; ok {
		return ver
	}
	ver := ""
	if d, err := sourceDigest(rc, v.digest); err == nil {
		ver = ProgramVersion(d)
	}
	v.by[rc.Name] = ver
	return ver
}

func fill(row *matrix.Row, r *Result) {
	if r == nil {
		row.Status, row.Reason = matrix.StatusFailed, "not run"
		return
	}
	row.Warnings = r.Warnings
	row.Runtime = runtimeOf(r)
	if r.Binary != "" {
		if st, err := os.Stat(r.Binary); err == nil {
			row.Sizes.Binary = st.Size()
		}
	}
	if r.Info != nil {
		row.Sizes.Text, row.Sizes.Data, row.Sizes.BSS = r.Info.Text, r.Info.Data, r.Info.BSS
	}
	if r.Closure != nil {
		for _, f := range r.Closure.Files {
			row.Sizes.Libraries += f.Size
			row.Sizes.LibraryCount++
		}
	}
	if r.Err != nil {
		row.Status, row.Reason = matrix.StatusFailed, oneLine(r.Err.Error())
		return
	}
	row.Status = matrix.StatusBuilt
	s := r.Sizes
	row.Sizes.LayersUncompressed = s.LayersUncompressed
	row.Sizes.LayersCompressed = s.LayersCompressed
	row.Sizes.ImageRegistry = s.Registry
	row.Sizes.ImageDocker = s.Content
	row.Sizes.ScanData = scanBytes(r)
	row.Digest = r.Digest
	row.Smoke = matrix.Smoke{
		Status:     r.Smoke.Status,
		Output:     r.Smoke.Stdout,
		Reason:     r.Smoke.Reason,
		DurationMS: r.Smoke.Duration.Milliseconds(),
		Engine:     r.Smoke.Engine,
	}
}

// oneLine keeps the first lines of an error for a table cell, led by the
// compiler's or linker's own error line (leadLine: not "main.c: In
// function 'main':", not collect2's "ld returned 1 exit status") and ending
// with the build log's path when the error names one.
func oneLine(s string) string {
	s = gccTemp.ReplaceAllString(s, "/tmp/${1}XXXXXX${2}")
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if i := leadLine(lines); i > 0 {
		lines = append([]string{strings.TrimSpace(lines[i])}, append(lines[:i:i], lines[i+1:]...)...)
	}
	if len(lines) > 6 {
		more := fmt.Sprintf("... (%d more lines)", len(lines)-6)
		last := lines[len(lines)-1]
		lines = append(lines[:6], more)
		if i := strings.LastIndex(last, "(log: "); i >= 0 {
			lines = append(lines, last[i:])
		}
	}
	return strings.Join(lines, "\n")
}

// gccTemp matches gcc's temporary files (/tmp/ccOjhiFn.o, named by
// mkstemp): a failed link names them, and a matrix row's reason must be
// the same bytes in every run.
var gccTemp = regexp.MustCompile(`/tmp/(cc)[A-Za-z0-9]{6}(\.[a-z]+)\b`)

// ReasonLine is the line of an error a person needs: a compiler's or
// linker's own error line when there is one (leadLine), else the first line, with the log's path when the error names one.
func ReasonLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	first := lines[0]
	if i := leadLine(lines); i >= 0 {
		first = strings.TrimSpace(lines[i])
	}
	if i := strings.LastIndex(s, "(log: "); i >= 0 && !strings.Contains(first, "(log: ") {
		if j := strings.IndexByte(s[i:], ')'); j > 0 {
			first += " " + s[i:i+j+1]
		}
	}
	return first
}

// leadLine is the index of the line that says what went wrong, or -1:
// the first compiler or linker error (an "error:" line, an undefined
// reference, a library the linker cannot find) before collect2's closing
// "ld returned 1 exit status", which says only that the linker failed.
func leadLine(lines []string) int {
	closing := -1
	for i, l := range lines {
		switch {
		case strings.Contains(l, "ld returned") && strings.Contains(l, "exit status"):
			if closing < 0 {
				closing = i
			}
		case strings.Contains(l, "error:") || strings.Contains(l, "Error:"),
			strings.Contains(l, "undefined reference to"), strings.Contains(l, "multiple definition of"),
			strings.Contains(l, ": cannot find -l"), strings.Contains(l, "error adding symbols"),
			strings.Contains(l, "file in wrong format"):
			return i
		}
	}
	return closing
}

// runtimeOf says where a dynamic cell's runtime libraries come from.
func runtimeOf(r *Result) string {
	if r.Job.Cell.Linkage != recipe.Dynamic {
		return ""
	}
	if r.Runtime != nil {
		var pins []string
		for _, p := range r.Runtime.Packages {
			pins = append(pins, p.Pin.String())
		}
		return "pinned Debian " + Suite + " packages " + strings.Join(pins, ", ")
	}
	return r.Job.Tool.Target.RuntimeNote
}
