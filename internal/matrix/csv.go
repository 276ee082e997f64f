package matrix

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// csvColumns is the CSV header; csvRecord must list the same fields in the
// same order. Sizes are in bytes.
var csvColumns = []string{
	"recipe", "platform", "toolchain", "toolchain_version", "libc", "linkage",
	"status", "reason",
	"binary", "text", "data", "bss", "libraries", "library_count",
	"layers_uncompressed", "layers_compressed", "image_registry", "image_docker",
	"digest", "scan_data",
	"smoke_status", "smoke_output", "smoke_reason", "smoke_duration_ms", "smoke_engine",
	"reproducible", "repro_note", "warnings",
	"runtime", "build", "source", "depends", "recipe_version",
}

func csvRecord(r Row) []string {
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	u := func(n uint64) string { return strconv.FormatUint(n, 10) }
	repro := "" // not checked
	if r.Reproducible != nil {
		repro = strconv.FormatBool(*r.Reproducible)
	}
	s := r.Sizes
	return []string{
		r.Recipe, r.Platform, r.Toolchain, r.ToolchainVersion, r.Libc, r.Linkage,
		string(r.Status), r.Reason,
		i(s.Binary), u(s.Text), u(s.Data), u(s.BSS), i(s.Libraries), strconv.Itoa(s.LibraryCount),
		i(s.LayersUncompressed), i(s.LayersCompressed), i(s.ImageRegistry), i(s.ImageDocker),
		r.Digest, i(s.ScanData),
		string(r.Smoke.Status), r.Smoke.Output, r.Smoke.Reason, i(r.Smoke.DurationMS), r.Smoke.Engine,
		repro, r.ReproNote, strings.Join(r.Warnings, "\n"),
		r.Runtime, r.Build, r.Source, strings.Join(r.Depends, ","), r.RecipeVersion,
	}
}

// CSV writes a header and one line per row, sorted, with every field
// flattened (nested fields get a "smoke_" prefix) and sizes in bytes.
// reproducible is "true", "false" or empty when it was not checked;
// warnings are one per line within the field.
func CSV(w io.Writer, m *Matrix) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvColumns); err != nil {
		return fmt.Errorf("writing CSV header: %w", err)
	}
	for _, r := range sorted(m) {
		if err := cw.Write(csvRecord(r)); err != nil {
			return fmt.Errorf("writing CSV row %s: %w", r.Key(), err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	return nil
}
