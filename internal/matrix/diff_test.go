package matrix

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sized is a built cell of recipe "r" on amd64 with the three gated sizes.
func sized(toolchain string, docker, registry, binary int64) Row {
	return Row{Recipe: "r", Platform: "linux/amd64", Toolchain: toolchain, Linkage: "static",
		Status: StatusBuilt, Sizes: Sizes{ImageDocker: docker, ImageRegistry: registry, Binary: binary}}
}

func withStatus(r Row, s Status) Row {
	r.Status, r.Sizes = s, Sizes{}
	return r
}

func TestDiff(t *testing.T) {
	old := &Matrix{Rows: []Row{
		sized("a", 1000, 500, 100),
		sized("b", 2000, 900, 300),
		sized("c", 0, 0, 0), // measured as zero in the baseline
		sized("gone", 10, 10, 10),
		sized("same", 7, 7, 7),
		sized("broken", 100, 100, 100),
	}}
	new := &Matrix{Rows: []Row{
		sized("same", 7, 7, 7),
		sized("c", 300, 200, 100),
		sized("b", 1000, 900, 300),
		sized("a", 1500, 500, 90),
		sized("fresh", 42, 42, 42),
		withStatus(sized("broken", 0, 0, 0), StatusFailed),
	}}
	r := Diff(old, new)
	var order []string
	for _, c := range r.Cells {
		order = append(order, c.Toolchain)
	}
	// |Δ| 1000, 500, 300, 100, 0.
	if want := []string{"b", "a", "c", "broken", "same"}; !slices.Equal(order, want) {
		t.Errorf("cells ordered %q, want %q", order, want)
	}
	a := r.Cells[1]
	if a.ImageDocker.Bytes() != 500 || a.Binary.Bytes() != -10 || a.ImageRegistry.Bytes() != 0 {
		t.Errorf("a deltas = %+v", a)
	}
	if pct, ok := a.ImageDocker.Percent(); !ok || pct != 50 {
		t.Errorf("a image percent = %v, %v; want 50, true", pct, ok)
	}
	if pct, ok := r.Cells[2].ImageDocker.Percent(); ok || pct != 0 {
		t.Errorf("percent from a zero baseline = %v, %v; want 0, false", pct, ok)
	}
	if r.Cells[4].Changed() {
		t.Error("identical cell reported as changed")
	}
	if len(r.Added) != 1 || r.Added[0].Toolchain != "fresh" {
		t.Errorf("added = %+v, want the fresh cell", r.Added)
	}
	if len(r.Removed) != 1 || r.Removed[0].Toolchain != "gone" {
		t.Errorf("removed = %+v, want the gone cell", r.Removed)
	}

	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	out := strings.Join(strings.Fields(buf.String()), " ") // alignment aside
	for _, want := range []string{
		"r linux/amd64 b-static", "-1.00 kB (-50.00%)", "+500 B (+50.00%)", "+300 B (from 0)",
		"Added:", "r linux/amd64 fresh-static", "Removed:", "r linux/amd64 gone-static",
		"r linux/amd64 broken-static 100 B -> - - - - built -> failed",
		"5 cells compared, 1 unchanged, 1 added, 1 removed.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "same-static") {
		t.Errorf("report lists an unchanged cell:\n%s", out)
	}
}

func TestDiffWriteNoChanges(t *testing.T) {
	var buf bytes.Buffer
	if err := Diff(fixture(), fixture()).Write(&buf); err != nil {
		t.Fatal(err)
	}
	want := "No size or status changes.\n\n19 cells compared, 19 unchanged, 0 added, 0 removed.\n"
	if buf.String() != want {
		t.Errorf("report = %q, want %q", buf.String(), want)
	}
}

func TestGate(t *testing.T) {
	base := sized("x", 10000, 4000, 2000)
	for _, tc := range []struct {
		name    string
		gate    Gate
		old     Row
		new     Row
		metrics []string // metrics of the expected violations
	}{
		{"unchanged", DefaultGate(), base, base, nil},
		{"exactly 5 percent", DefaultGate(), base, sized("x", 10500, 4200, 2100), nil},
		{"5.01 percent image", DefaultGate(), base, sized("x", 10501, 4000, 2000), []string{"image_docker"}},
		{"5.01 percent registry", DefaultGate(), base, sized("x", 10000, 4201, 2000), []string{"image_registry"}},
		{"5.01 percent binary", DefaultGate(), base, sized("x", 10000, 4000, 2101), []string{"binary"}},
		{"all three", DefaultGate(), base, sized("x", 20000, 8000, 4000), []string{"image_docker", "image_registry", "binary"}},
		{"shrink", DefaultGate(), base, sized("x", 100, 40, 20), nil},
		{"zero baseline", DefaultGate(), sized("x", 0, 0, 0), base, nil},
		{"built to failed", DefaultGate(), base, withStatus(base, StatusFailed), []string{"status"}},
		{"built to not-applicable", DefaultGate(), base, withStatus(base, StatusNotApplicable), nil},
		{"built to unavailable", DefaultGate(), base, withStatus(base, StatusUnavailable), nil},
		{"failed to built", DefaultGate(), withStatus(base, StatusFailed), base, nil},
		{"custom 10 percent passes 8", Gate{MaxGrowthPercent: 10}, base, sized("x", 10800, 4000, 2000), nil},
		{"custom 10 percent fails 11", Gate{MaxGrowthPercent: 10}, base, sized("x", 11100, 4000, 2000), []string{"image_docker"}},
		{"zero gate fails 1 byte", Gate{}, base, sized("x", 10001, 4000, 2000), []string{"image_docker"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vs := tc.gate.Check(Diff(&Matrix{Rows: []Row{tc.old}}, &Matrix{Rows: []Row{tc.new}}))
			var got []string
			for _, v := range vs {
				got = append(got, v.Metric)
				if v.Key != base.Key() || !strings.HasPrefix(v.String(), "r linux/amd64 x-static: ") {
					t.Errorf("violation %q names the wrong cell", v)
				}
			}
			if !slices.Equal(got, tc.metrics) {
				t.Errorf("violations %q, want %q: %v", got, tc.metrics, vs)
			}
		})
	}
	// The message says what grew, by how much and against which limit.
	vs := DefaultGate().Check(Diff(&Matrix{Rows: []Row{base}}, &Matrix{Rows: []Row{sized("x", 10501, 4000, 2000)}}))
	if want := "r linux/amd64 x-static: image_docker grew 10.0 kB to 10.5 kB (+5.01%, limit 5%)"; len(vs) != 1 || vs[0].String() != want {
		t.Errorf("violations = %q, want [%q]", vs, want)
	}
}

func TestLoadGate(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       float64
		err        string
	}{
		{"explicit", `{"max_growth_percent": 2.5}`, 2.5, ""},
		{"zero", `{"max_growth_percent": 0}`, 0, ""},
		{"default", `{}`, DefaultMaxGrowthPercent, ""},
		{"unknown field", `{"max_growth": 5}`, 0, `unknown field "max_growth"`},
		{"negative", `{"max_growth_percent": -1}`, 0, "field max_growth_percent is -1"},
		{"wrong type", `{"max_growth_percent": "5"}`, 0, "max_growth_percent"},
		{"trailing data", `{} {}`, 0, "data after the configuration object"},
		{"malformed", `{"max_growth_percent": }`, 0, "line 1, column 24"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "gate.json")
			if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			g, err := LoadGate(path)
			if tc.err == "" {
				if err != nil || g.MaxGrowthPercent != tc.want {
					t.Errorf("LoadGate = %+v, %v; want %v", g, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v does not name the file and %q", err, tc.err)
			}
		})
	}
}
