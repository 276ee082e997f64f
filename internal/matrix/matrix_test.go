package matrix

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fromscratch/fromscratch/internal/testutil"
)

// golden compares got with testdata/<TestName>.golden, or rewrites it with -update.
func golden(t *testing.T, got []byte) {
	t.Helper()
	testutil.Golden(t, got)
}

// render runs fn twice on m and checks the output is stable and m untouched.
func render(t *testing.T, fn func(io.Writer, *Matrix) error, m *Matrix) []byte {
	t.Helper()
	before := slices.Clone(m.Rows)
	var a, b bytes.Buffer
	if err := fn(&a, m); err != nil {
		t.Fatal(err)
	}
	if err := fn(&b, m); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two renderings of the same matrix differ")
	}
	if !reflect.DeepEqual(before, m.Rows) {
		t.Error("rendering reordered or changed the caller's rows")
	}
	return a.Bytes()
}

func TestJSON(t *testing.T)     { golden(t, render(t, JSON, fixture())) }
func TestCSV(t *testing.T)      { golden(t, render(t, CSV, fixture())) }
func TestMarkdown(t *testing.T) { golden(t, render(t, Markdown, fixture())) }
func TestTerminal(t *testing.T) { golden(t, render(t, terminal80, fixture())) }

func terminal80(w io.Writer, m *Matrix) error { return Terminal(w, m, 0) }

// The same renderings of a nine-platform matrix, the default run's: a
// section per platform, a column per platform in each recipe's table, and
// matrix:show within 80 columns (TestTerminalWidth checks every line).
func TestMarkdownNinePlatforms(t *testing.T) { golden(t, render(t, Markdown, nineFixture())) }
func TestTerminalNinePlatforms(t *testing.T) { golden(t, render(t, terminal80, nineFixture())) }

func nineFixture() *Matrix { return ninePlatforms(fixture()) }

// The same renderings of a matrix with real programs (Row.Build): their
// section is added, and what the files-only recipes show is unchanged.
func TestJSONRealPrograms(t *testing.T)     { golden(t, render(t, JSON, realFixture())) }
func TestCSVRealPrograms(t *testing.T)      { golden(t, render(t, CSV, realFixture())) }
func TestMarkdownRealPrograms(t *testing.T) { golden(t, render(t, Markdown, realFixture())) }
func TestTerminalRealPrograms(t *testing.T) { golden(t, render(t, terminal80, realFixture())) }

func TestRealProgramsSection(t *testing.T) {
	md := string(render(t, Markdown, realFixture()))
	section, _, _ := strings.Cut(md[strings.Index(md, "## Real programs"):], "\n## Warnings")
	for _, want := range []string{
		// The smallest image that passed or was not run, per platform.
		"| jq | 951 kB zig-static | 988 kB zig-static |",
		// lua's arm64 image failed its smoke test: none is the smallest.
		"| lua | 1.12 MB gcc-static | — |",
		"### jq\n\nautotools, Debian jq 1.6-2.1+deb12u2, with onig\n\n| variant | linux/amd64 | linux/arm64 |",
		"| zig-dynamic | n/a [3] | FAILED [4] |",
		"| zig-static | 951 kB ✓ | 988 kB skipped [2] |",
		"### lua\n\nmake, Debian lua5.4 5.4.4-3+deb12u1\n",
		"| gcc-static | 1.12 MB ✓ | 1.05 MB ✗ [1] |",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("real programs section lacks %q:\n%s", want, section)
		}
	}
	for _, files := range []string{"hello", "hello-cpp"} {
		if strings.Contains(section, "### "+files) || strings.Contains(section, "| "+files+" |") {
			t.Errorf("the real programs section shows %s, a build = \"files\" recipe", files)
		}
	}
	// Without real programs the section is left out, and with them the
	// rest of the document is what it was.
	plain := string(render(t, Markdown, fixture()))
	if strings.Contains(plain, "Real programs") {
		t.Error("a matrix without real programs has their section")
	}
	for _, l := range strings.Split(plain, "\n") {
		if strings.HasPrefix(l, "| hello") && !strings.Contains(md, l+"\n") {
			t.Errorf("line %q of the files-only recipes is gone", l)
		}
	}
}

// The terminal tables fit the width they are given, on the fixture (long
// reasons, a failed smoke test) and on a full-size matrix, and show the
// registry (pull) size.
func TestTerminalWidth(t *testing.T) {
	long := fixture()
	long.Rows = append(long.Rows, Row{Recipe: "cppcontainers", Platform: "linux/riscv64", Toolchain: "musl-gcc",
		Linkage: "dynamic", Status: StatusUnavailable, Reason: strings.Repeat("a-very-long-unbreakable-word", 5) + " and more"})
	for name, m := range map[string]*Matrix{"fixture": long, "full": fullMatrix(), "real programs": realFixture(),
		"nine platforms": ninePlatforms(fullMatrix()), "nine platforms, real programs": ninePlatforms(realFixture())} {
		for _, width := range []int{0, 80, 72, 66} {
			var b bytes.Buffer
			if err := Terminal(&b, m, width); err != nil {
				t.Fatal(err)
			}
			limit := width
			if limit == 0 {
				limit = DefaultWidth
			}
			for i, l := range strings.Split(b.String(), "\n") {
				if n := utf8.RuneCountInString(l); n > limit {
					t.Errorf("%s at width %d: line %d has %d columns: %q", name, width, i+1, n, l)
				}
			}
			if !strings.Contains(b.String(), "PULL") || !strings.Contains(b.String(), HumanBytes(m.Rows[0].Sizes.ImageRegistry)) {
				t.Errorf("%s: no registry size:\n%s", name, b.String())
			}
		}
	}
}

func TestSVG(t *testing.T) {
	gcc := fixture() // 703 kB to 5.57 MB: a linear axis
	gcc.Rows = slices.DeleteFunc(gcc.Rows, func(r Row) bool { return r.Toolchain != "gcc" })
	for name, m := range map[string]*Matrix{"fixture": fixture(), "full": fullMatrix(), "linear": gcc, "empty": {}, "nine": ninePlatforms(fullMatrix())} {
		t.Run(name, func(t *testing.T) {
			out := render(t, SVG, m)
			dec := xml.NewDecoder(bytes.NewReader(out))
			for {
				_, err := dec.Token()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("SVG is not well-formed XML: %v", err)
				}
			}
			if name != "empty" {
				golden(t, out)
			}
		})
	}
}

func TestSVGScale(t *testing.T) {
	// The fixture spans 5 kB to 5 MB: log scale with decade ticks.
	s := newYScale(newGrid(fixture()))
	if !s.log {
		t.Fatal("fixture chart is linear, want log")
	}
	var labels []string
	for _, v := range s.ticks() {
		labels = append(labels, tickLabel(v))
	}
	if want := []string{"1 kB", "10 kB", "100 kB", "1 MB", "10 MB"}; !slices.Equal(labels, want) {
		t.Errorf("log ticks = %q, want %q", labels, want)
	}
	// 1 MB to 2.5 MB is a ratio of 2.5: linear, from 0.
	m := &Matrix{Rows: []Row{
		{Recipe: "a", Status: StatusBuilt, Sizes: Sizes{ImageDocker: 1000000}},
		{Recipe: "b", Status: StatusBuilt, Sizes: Sizes{ImageDocker: 2500000}},
	}}
	s = newYScale(newGrid(m))
	labels = labels[:0]
	for _, v := range s.ticks() {
		labels = append(labels, tickLabel(v))
	}
	if want := []string{"0 B", "500 kB", "1 MB", "1.5 MB", "2 MB", "2.5 MB"}; s.log || !slices.Equal(labels, want) {
		t.Errorf("linear ticks = %q (log %v), want %q", labels, s.log, want)
	}
}

func TestSort(t *testing.T) {
	var m Matrix
	for _, p := range []string{"linux/riscv64", "linux/s390x", "linux/arm/v7", "linux/arm64", "linux/amd64"} {
		m.Rows = append(m.Rows, Row{Recipe: "b", Platform: p, Toolchain: "gcc", Linkage: "static"})
	}
	m.Rows = append(m.Rows,
		Row{Recipe: "b", Platform: "linux/amd64", Toolchain: "gcc", Linkage: "dynamic"},
		Row{Recipe: "b", Platform: "linux/amd64", Toolchain: "musl-gcc", Linkage: "static"},
		Row{Recipe: "a", Platform: "linux/riscv64", Toolchain: "zig", Linkage: "static"})
	m.Sort()
	var got []string
	for _, r := range m.Rows {
		got = append(got, r.Key().String())
	}
	want := []string{
		"a linux/riscv64 zig-static",
		"b linux/amd64 gcc-static",
		"b linux/amd64 gcc-dynamic",
		"b linux/amd64 musl-gcc-static",
		"b linux/arm64 gcc-static",
		"b linux/arm/v7 gcc-static",
		"b linux/riscv64 gcc-static",
		"b linux/s390x gcc-static",
	}
	if !slices.Equal(got, want) {
		t.Errorf("sorted keys:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestJSONRoundTrip(t *testing.T) {
	m := realFixture()
	path := filepath.Join(t.TempDir(), "matrix.json")
	var buf bytes.Buffer
	if err := JSON(&buf, m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	m.Sort()
	if !reflect.DeepEqual(got, m) {
		t.Errorf("Load(JSON(m)) differs from m:\n got %+v\nwant %+v", got, m)
	}
}

func TestLoadErrors(t *testing.T) {
	row := `{"recipe":"hello","platform":"linux/amd64","toolchain":"gcc","linkage":"static","status":"built"}`
	for _, tc := range []struct{ name, data, want string }{
		{"future version", `{"schema_version": 2, "rows": []}`, "field schema_version is 2"},
		{"missing version", `{"rows": []}`, "field schema_version is missing"},
		{"malformed", "{\"schema_version\": 1,\n \"rows\": [}", "line 2, column 11"},
		{"wrong type", `{"schema_version": 1, "rows": [{"sizes": {"binary": "big"}}]}`, "rows.sizes.binary"},
		{"unknown status", `{"schema_version": 1, "rows": [{"status": "done"}]}`, `rows[0].status: unknown status "done"`},
		{"duplicate cell", `{"schema_version": 1, "rows": [` + row + `,` + row + `]}`, "rows[1]: cell hello linux/amd64 gcc-static repeats rows[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "baseline.json")
			if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name the file and %q", err, tc.want)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "absent.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: %v, want os.ErrNotExist", err)
	}
}

func TestWriteAll(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out", "matrix")
	m := fixture()
	if err := WriteAll(dir, m); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"matrix.csv", "matrix.json", "matrix.md", "matrix.svg"}; !slices.Equal(names, want) {
		t.Fatalf("files = %q, want %q (no temporary files left)", names, want)
	}
	for _, o := range outputs {
		got, err := os.ReadFile(filepath.Join(dir, o.name))
		if err != nil {
			t.Fatal(err)
		}
		if want := render(t, o.render, m); !bytes.Equal(got, want) {
			t.Errorf("%s differs from its renderer's output", o.name)
		}
		if fi, _ := os.Stat(filepath.Join(dir, o.name)); fi.Mode().Perm() != 0o644 {
			t.Errorf("%s mode = %v, want 0644", o.name, fi.Mode().Perm())
		}
	}
	// A second run replaces the files in place.
	if err := WriteAll(dir, &Matrix{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := Load(filepath.Join(dir, "matrix.json")); got == nil || len(got.Rows) != 0 {
		t.Errorf("matrix.json not replaced: %+v", got)
	}
}

func TestAppendMarkdown(t *testing.T) {
	if err := fixture().AppendMarkdown(""); err != nil {
		t.Errorf("without a path: %v, want a no-op", err)
	}
	path := filepath.Join(t.TempDir(), "summary.md")
	if err := os.WriteFile(path, []byte("## earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := fixture().AppendMarkdown(path); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "## earlier step\n" + string(render(t, Markdown, fixture()))
	if string(got) != want {
		t.Errorf("summary file does not hold the earlier content followed by the Markdown:\n%s", got)
	}
}

func TestHumanBytes(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{812, "812 B"},
		{999, "999 B"},
		{1000, "1.00 kB"},
		{5120, "5.12 kB"},
		{9994, "9.99 kB"},
		{9995, "10.0 kB"},
		{15960, "16.0 kB"},
		{17808, "17.8 kB"},
		{762424, "762 kB"},
		{999499, "999 kB"},
		{999500, "1.00 MB"},
		{2326056, "2.33 MB"},
		{1e9, "1.00 GB"},
		{9223372036854775807, "9.22 EB"},
		{-812, "-812 B"},
		{-2326056, "-2.33 MB"},
		{-9223372036854775808, "-9.22 EB"},
	} {
		if got := HumanBytes(tc.n); got != tc.want {
			t.Errorf("HumanBytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

// A release's matrix keeps the smoke results but not their durations nor
// the compiler warnings, and leaves the caller's matrix alone.
func TestForRelease(t *testing.T) {
	m := fixture()
	before := slices.Clone(m.Rows)
	r := m.ForRelease()
	if !reflect.DeepEqual(m.Rows, before) {
		t.Error("ForRelease changed the caller's rows")
	}
	timed, warned := 0, 0
	for i, row := range r.Rows {
		if row.Smoke.DurationMS != 0 {
			t.Errorf("%s: duration_ms %d, want 0", row.Key(), row.Smoke.DurationMS)
		}
		if row.Warnings != nil {
			t.Errorf("%s: warnings %q, want none", row.Key(), row.Warnings)
		}
		if before[i].Smoke.DurationMS != 0 {
			timed++
		}
		if len(before[i].Warnings) != 0 {
			warned++
		}
		want := before[i]
		want.Smoke.DurationMS = 0
		want.Warnings = nil
		if !reflect.DeepEqual(row, want) {
			t.Errorf("%s: %+v, want %+v", row.Key(), row, want)
		}
	}
	if timed == 0 || warned == 0 {
		t.Fatalf("the fixture has %d smoke durations and %d rows with warnings to drop, want some of each", timed, warned)
	}
	shown := 0 // renderings that show the fixture's warnings
	for _, o := range outputs {
		if !bytes.Contains(render(t, o.render, m), []byte("warning:")) {
			continue
		}
		shown++
		if bytes.Contains(render(t, o.render, r), []byte("warning:")) {
			t.Errorf("the release's %s still has a warning", o.name)
		}
	}
	if shown == 0 {
		t.Fatal("no rendering of the fixture shows a warning")
	}
}
