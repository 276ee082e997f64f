package matrix

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/fromscratch/fromscratch/internal/recipe"
)

// SchemaVersion is the version of the JSON document this package writes and
// the only one Load accepts. Bump it when a field changes meaning or type.
const SchemaVersion = 1

// Status says what happened to a cell.
type Status string

// The statuses a Row can have.
const (
	StatusBuilt         Status = "built"
	StatusNotApplicable Status = "not-applicable" // the recipe excludes the cell
	StatusUnavailable   Status = "unavailable"    // the toolchain is missing on this machine
	StatusFailed        Status = "failed"
)

func (s Status) valid() bool {
	return s == StatusBuilt || s == StatusNotApplicable || s == StatusUnavailable || s == StatusFailed
}

// Smoke statuses.
const (
	SmokePass    = recipe.SmokePass
	SmokeFail    = recipe.SmokeFail
	SmokeSkipped = recipe.SmokeSkipped
)

// Smoke is the result of running the image once.
type Smoke struct {
	Status     recipe.SmokeStatus `json:"status"` // "pass", "fail", "skipped" or "" (not run)
	Output     string             `json:"output"`
	Reason     string             `json:"reason"`
	DurationMS int64              `json:"duration_ms"`
	Engine     string             `json:"engine"` // "docker", "runc" or ""
}

// Sizes are the measurements of one cell, all in bytes except LibraryCount.
type Sizes struct {
	Binary             int64  `json:"binary"`              // binary file size
	Text               uint64 `json:"text"`                // ELF .text and other code sections
	Data               uint64 `json:"data"`                // ELF initialised data sections
	BSS                uint64 `json:"bss"`                 // ELF zero-initialised data
	Libraries          int64  `json:"libraries"`           // shared-library closure: interpreter + libs
	LibraryCount       int    `json:"library_count"`       // files in that closure
	LayersUncompressed int64  `json:"layers_uncompressed"` // sum of uncompressed layer tars
	LayersCompressed   int64  `json:"layers_compressed"`   // sum of gzip layer blobs
	ImageRegistry      int64  `json:"image_registry"`      // config + manifest + compressed layers
	ImageDocker        int64  `json:"image_docker"`        // sum of the files in the layers, as `docker images` reports
	// ScanData is what the image carries for scanners: the files of its
	// scan layer (dpkg status entries, os-release, its SBOM) and its
	// program's package note (the section, its header and its name); 0
	// with FROMSCRATCH_SCAN_DATA off. Part of image_docker.
	ScanData int64 `json:"scan_data,omitempty"`
}

// Row is one cell of the matrix: recipe x platform x toolchain x linkage.
type Row struct {
	Recipe           string   `json:"recipe"`
	Platform         string   `json:"platform"` // "linux/amd64", "linux/arm/v7", ...
	Toolchain        string   `json:"toolchain"`
	ToolchainVersion string   `json:"toolchain_version"`
	Libc             string   `json:"libc"`
	Linkage          string   `json:"linkage"` // "static" or "dynamic"
	Status           Status   `json:"status"`
	Reason           string   `json:"reason"` // why not-applicable, unavailable or failed
	Sizes            Sizes    `json:"sizes"`
	Digest           string   `json:"digest"` // image manifest digest
	Smoke            Smoke    `json:"smoke"`
	Reproducible     *bool    `json:"reproducible,omitempty"` // nil: not checked
	ReproNote        string   `json:"repro_note"`
	Warnings         []string `json:"warnings,omitempty"` // compiler warning lines
	// Runtime says where a dynamic image's loader and libraries come from:
	// the pinned target-architecture packages ("libc6:arm64
	// 2.36-9+deb12u14, ..."), or why not (riscv64: bookworm has no port).
	Runtime string `json:"runtime,omitempty"`
	// Build is the recipe's build system when it is a real program built
	// by its own ("autotools", "cmake", "make"); empty for build = "files"
	// and prebuilt recipes. Source is what it was built from ("Debian jq
	// 1.6-2.1+deb12u2", a URL, or "" for the recipe folder) and Depends
	// the library recipes it was built with.
	Build   string   `json:"build,omitempty"`
	Source  string   `json:"source,omitempty"`
	Depends []string `json:"depends,omitempty"`
	// RecipeVersion is the version of the recipe the row was made from,
	// as its image and SBOM give it ("0+src." and 12 hex digits of its
	// inputs): a later run of part of the matrix keeps only the rows of
	// the recipes' current versions.
	RecipeVersion string `json:"recipe_version,omitempty"`
}

// IsRealProgram reports whether the row is a cell of a real program: a
// recipe built by its own build system.
func (r Row) IsRealProgram() bool { return r.Build != "" }

// Key identifies a cell across runs.
type Key struct {
	Recipe, Platform, Toolchain, Linkage string
}

// Key returns the cell key of r.
func (r Row) Key() Key {
	return Key{Recipe: r.Recipe, Platform: r.Platform, Toolchain: r.Toolchain, Linkage: r.Linkage}
}

// String renders k as "hello linux/amd64 gcc-static".
func (k Key) String() string {
	return k.Recipe + " " + k.Platform + " " + k.Toolchain + "-" + k.Linkage
}

// Matrix is the whole result of a run.
type Matrix struct {
	SchemaVersion int   `json:"schema_version"`
	Rows          []Row `json:"rows"`
}

// platformOrder is the display order of platforms (recipe.Platforms);
// others follow alphabetically.
var platformOrder = func() []string {
	s := make([]string, len(recipe.Platforms))
	for i, p := range recipe.Platforms {
		s[i] = string(p)
	}
	return s
}()

// linkageOrder puts static before dynamic; others follow alphabetically.
var linkageOrder = []string{"static", "dynamic"}

// compareRanked orders a and b by their index in order, unknown values last
// and alphabetically.
func compareRanked(order []string, a, b string) int {
	ia, ib := slices.Index(order, a), slices.Index(order, b)
	if ia < 0 {
		ia = len(order)
	}
	if ib < 0 {
		ib = len(order)
	}
	return cmp.Or(cmp.Compare(ia, ib), strings.Compare(a, b))
}

func compareKeys(a, b Key) int {
	return cmp.Or(
		strings.Compare(a.Recipe, b.Recipe),
		compareRanked(platformOrder, a.Platform, b.Platform),
		strings.Compare(a.Toolchain, b.Toolchain),
		compareRanked(linkageOrder, a.Linkage, b.Linkage),
	)
}

// Sort orders the rows by recipe, platform (amd64, arm64, arm/v7, riscv64),
// toolchain and linkage (static before dynamic).
func (m *Matrix) Sort() {
	slices.SortStableFunc(m.Rows, func(a, b Row) int { return compareKeys(a.Key(), b.Key()) })
}

// sorted returns a sorted copy of m's rows so renderers never reorder the
// caller's matrix.
func sorted(m *Matrix) []Row {
	c := Matrix{Rows: slices.Clone(m.Rows)}
	c.Sort()
	return c.Rows
}

// ForRelease returns a copy of m without what differs between two runs of
// the same inputs: the matrix a release ships, whose bytes must not change
// with them. Those are the smoke durations (the time a run happened to
// take) and the compiler warnings, which are lines of the build log: under
// make -j two compilers write to it at once, and clang (zig cc) writes a
// diagnostic's file name and the rest of it in separate writes, so one run's
// log has "src/compile.c:1164:28: warning: ..." where another's has the
// other compiler's line between the two halves (measured: jq's
// linux/arm64 zig-static cell, on this host and in a Debian 13 container).
// Everything else, smoke results included, is kept; out/matrix.* keep both.
func (m *Matrix) ForRelease() *Matrix {
	c := &Matrix{SchemaVersion: m.SchemaVersion, Rows: slices.Clone(m.Rows)}
	for i := range c.Rows {
		c.Rows[i].Smoke.DurationMS = 0
		c.Rows[i].Warnings = nil
	}
	return c
}

// Load reads a matrix written by JSON or WriteAll and checks its schema
// version, statuses and that no cell appears twice.
func Load(path string) (*Matrix, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading matrix: %w", err)
	}
	m, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("loading matrix %s: %w", path, err)
	}
	return m, nil
}

func parse(data []byte) (*Matrix, error) {
	// Read the version alone first: a future schema may not decode into Row.
	var head struct {
		SchemaVersion *int `json:"schema_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, decodeError(data, err)
	}
	switch {
	case head.SchemaVersion == nil:
		return nil, errors.New("field schema_version is missing")
	case *head.SchemaVersion != SchemaVersion:
		return nil, fmt.Errorf("field schema_version is %d, this program reads only version %d",
			*head.SchemaVersion, SchemaVersion)
	}
	var m Matrix
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, decodeError(data, err)
	}
	seen := make(map[Key]int, len(m.Rows))
	for i, r := range m.Rows {
		if !r.Status.valid() {
			return nil, fmt.Errorf("rows[%d].status: unknown status %q (%s)", i, r.Status, r.Key())
		}
		if j, ok := seen[r.Key()]; ok {
			return nil, fmt.Errorf("rows[%d]: cell %s repeats rows[%d]", i, r.Key(), j)
		}
		seen[r.Key()] = i
	}
	return &m, nil
}

// decodeError adds the line and column of a syntax or type error.
func decodeError(data []byte, err error) error {
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return fmt.Errorf("decoding JSON: %w", err)
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	return fmt.Errorf("decoding JSON at line %d, column %d: %w", line, col, err)
}

// JSON writes m, rows sorted, as indented JSON. A zero SchemaVersion is
// written as the current one.
func JSON(w io.Writer, m *Matrix) error {
	out := Matrix{SchemaVersion: cmp.Or(m.SchemaVersion, SchemaVersion), Rows: sorted(m)}
	if out.Rows == nil {
		out.Rows = []Row{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("encoding matrix JSON: %w", err)
	}
	return nil
}

// units are SI prefixes, as `docker images` uses them.
var units = []string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}

// HumanBytes renders n with SI units and three significant digits
// ("2.33 MB", "762 kB", "17.8 kB"), and exactly below 1 kB ("812 B").
func HumanBytes(n int64) string {
	if n < 0 {
		// Through uint64 so that math.MinInt64 does not overflow.
		return "-" + humanUnsigned(uint64(-(n+1))+1)
	}
	return humanUnsigned(uint64(n))
}

func humanUnsigned(n uint64) string {
	if n < 1000 {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), 0
	// 999.5 and above would round to "1000": use the next unit instead.
	for v >= 999.5 && i < len(units)-1 {
		v /= 1000
		i++
	}
	switch {
	case v < 9.995:
		return fmt.Sprintf("%.2f %s", v, units[i])
	case v < 99.95:
		return fmt.Sprintf("%.1f %s", v, units[i])
	default:
		return fmt.Sprintf("%.0f %s", v, units[i])
	}
}

// signedBytes renders a delta with an explicit sign: "+1.20 kB", "-812 B", "0 B".
func signedBytes(n int64) string {
	if n > 0 {
		return "+" + HumanBytes(n)
	}
	return HumanBytes(n)
}
