package cli

import (
	"encoding/json"
	"io"
	"path/filepath"

	"github.com/fromscratch/fromscratch/internal/matrix"
	"github.com/fromscratch/fromscratch/internal/outdir"
	"github.com/fromscratch/fromscratch/internal/pipeline"
	"github.com/fromscratch/fromscratch/internal/publish"
	"github.com/fromscratch/fromscratch/internal/release"
	"github.com/fromscratch/fromscratch/internal/workspace"
)

// The results of --json, one document on stdout (progress and the summary
// stay on stderr). The README's "JSON results" documents them; a field is
// only ever added, and a change of meaning bumps JSONSchema. Paths are
// relative to the project when inside it, else absolute.

// JSONSchema is the schema_version of every --json document.
const JSONSchema = 1

// BuildJSON is the result of build, build all and build recipe.
type BuildJSON struct {
	SchemaVersion int    `json:"schema_version"`
	Command       string `json:"command"` // "build", "release"
	Out           string `json:"out"`     // the output directory
	Matrix        string `json:"matrix"`  // out/matrix.json
	// Counts are the cells of the run by status.
	Counts map[matrix.Status]int `json:"counts"`
	Cells  []CellJSON            `json:"cells"` // the cells of the run, in matrix order
}

// CellJSON is one cell of a run.
type CellJSON struct {
	Recipe    string        `json:"recipe"`
	Platform  string        `json:"platform"`  // linux/arm/v7
	Toolchain string        `json:"toolchain"` // gcc, zig, ..., prebuilt
	Linkage   string        `json:"linkage"`   // static, dynamic
	Status    matrix.Status `json:"status"`    // built, failed, not-applicable, unavailable
	Reason    string        `json:"reason,omitempty"`
	// Origin is where a built cell's binary came from: compiled,
	// restored (the action cache), kept (out/bin up to date), taken.
	Origin string       `json:"origin,omitempty"`
	Digest string       `json:"digest,omitempty"` // the image manifest's sha256:...
	Sizes  matrix.Sizes `json:"sizes"`            // bytes, as in out/matrix.json
	Smoke  string       `json:"smoke,omitempty"`  // pass, fail, skipped; "" not run
	Binary string       `json:"binary,omitempty"` // out/bin/<cell>/<recipe>
	Log    string       `json:"log,omitempty"`    // its build.log
	Docker string       `json:"docker,omitempty"` // out/docker/<cell>.tar
	OCI    string       `json:"oci,omitempty"`    // out/oci/<recipe>, the layout holding the image
	SBOM   string       `json:"sbom,omitempty"`   // release only: out/release/sbom/<cell>.spdx.json
}

// ReleaseJSON is the result of release: the build's, and where the
// release is.
type ReleaseJSON struct {
	BuildJSON
	Release    string `json:"release"`    // out/release
	SHA256SUMS string `json:"sha256sums"` // out/release/SHA256SUMS
}

// PushJSON is the result of release push.
type PushJSON struct {
	SchemaVersion int              `json:"schema_version"`
	Command       string           `json:"command"` // "release push"
	Prefix        string           `json:"prefix"`  // REGISTRY/PREFIX
	Indexes       []publish.Pushed `json:"indexes"`
}

// ToolchainJSON is one toolchain and platform of toolchains list.
type ToolchainJSON struct {
	Toolchain   string `json:"toolchain"`
	Platform    string `json:"platform"`
	Version     string `json:"version,omitempty"`
	StaticLibc  string `json:"static_libc"`
	DynamicLibc string `json:"dynamic_libc"`
	Available   bool   `json:"available"`
	Reason      string `json:"reason,omitempty"`       // why it is unavailable
	LibsMissing string `json:"libs_missing,omitempty"` // the compiler is there, these are not
	Hint        string `json:"hint,omitempty"`         // how to get what is missing
}

// ToolchainsJSON is the result of toolchains list.
type ToolchainsJSON struct {
	SchemaVersion int             `json:"schema_version"`
	Command       string          `json:"command"` // "toolchains list"
	Toolchains    []ToolchainJSON `json:"toolchains"`
}

// writeJSON writes v indented, with a final newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// buildJSON is a run's result: each cell of rep, in the run's order, with
// its row of the matrix and where its files are; sboms are release's, by
// cell.
func buildJSON(cfg Config, command string, rep *pipeline.Report, sboms map[string]string) BuildJSON {
	out := outdir.Path(cfg.OutDir)
	rel := func(p string) string {
		if p == "" {
			return ""
		}
		return workspace.Rel(cfg.Root, p)
	}
	rows := map[matrix.Key]matrix.Row{}
	if rep.Matrix != nil {
		for _, r := range rep.Matrix.Rows {
			rows[r.Key()] = r
		}
	}
	res := BuildJSON{SchemaVersion: JSONSchema, Command: command, Out: rel(cfg.OutDir), Matrix: rel(out.Matrix()),
		Counts: map[matrix.Status]int{}, Cells: []CellJSON{}}
	for _, j := range rep.Jobs {
		k := matrix.Key{Recipe: j.Cell.Recipe, Platform: string(j.Cell.Platform), Toolchain: j.Cell.Toolchain, Linkage: string(j.Cell.Linkage)}
		row, ok := rows[k]
		if !ok { // a broken recipe or a run cut short: the job's own word
			row = matrix.Row{Status: j.Status, Reason: j.Reason}
		}
		cell := CellJSON{Recipe: k.Recipe, Platform: k.Platform, Toolchain: k.Toolchain, Linkage: k.Linkage,
			Status: row.Status, Reason: pipeline.ReasonLine(row.Reason), Digest: row.Digest, Sizes: row.Sizes, Smoke: string(row.Smoke.Status)}
		if r := rep.Results[j.Cell.String()]; r != nil {
			if r.Err == nil {
				cell.Origin = string(r.Origin)
				cell.Docker, cell.OCI = rel(r.Archive), rel(out.OCI(k.Recipe))
			}
			cell.Binary, cell.Log = rel(r.Binary), rel(r.Log)
		}
		cell.SBOM = rel(sboms[j.Cell.String()])
		res.Counts[cell.Status]++
		res.Cells = append(res.Cells, cell)
	}
	return res
}

// releaseJSON is release's result.
func releaseJSON(cfg Config, rel *publish.Released) ReleaseJSON {
	return ReleaseJSON{BuildJSON: buildJSON(cfg, "release", rel.Report, rel.SBOMs),
		Release: workspace.Rel(cfg.Root, rel.Dir), SHA256SUMS: workspace.Rel(cfg.Root, filepath.Join(rel.Dir, release.SumsFile))}
}
