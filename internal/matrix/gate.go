package matrix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// DefaultMaxGrowthPercent is the growth a cell may show before the gate fails.
const DefaultMaxGrowthPercent = 5

// Gate fails a run whose cells grew too much against the baseline.
// The zero value allows no growth at all; DefaultGate allows 5 %.
type Gate struct {
	MaxGrowthPercent float64
}

// DefaultGate returns the gate used when no configuration file is given.
func DefaultGate() Gate { return Gate{MaxGrowthPercent: DefaultMaxGrowthPercent} }

// Violation is one reason the gate fails.
type Violation struct {
	Key
	Metric   string // "image_docker", "image_registry", "binary" or "status"
	Old, New int64  // sizes in bytes; zero for a status violation
	Percent  float64
	Message  string
}

func (v Violation) String() string { return v.Key.String() + ": " + v.Message }

// Check returns the violations of r, in r's order:
//   - a cell built in both runs whose image_docker, image_registry or binary
//     size grew by strictly more than MaxGrowthPercent. A size that was 0 in
//     the baseline was not measured then and has no percentage: it is not
//     checked;
//   - a cell that was built and now failed.
//
// Added and removed cells and cells that became not-applicable or
// unavailable (a toolchain missing on this machine) are reported by the diff
// but are not violations.
func (g Gate) Check(r DiffReport) []Violation {
	var out []Violation
	for _, c := range r.Cells {
		if c.OldStatus == StatusBuilt && c.NewStatus == StatusFailed {
			out = append(out, Violation{Key: c.Key, Metric: "status", Message: "was built, now fails"})
			continue
		}
		if c.OldStatus != StatusBuilt || c.NewStatus != StatusBuilt {
			continue
		}
		for _, m := range []struct {
			name string
			d    Delta
		}{{"image_docker", c.ImageDocker}, {"image_registry", c.ImageRegistry}, {"binary", c.Binary}} {
			// Compare in multiplied form: exactly 5 % stays exactly 5 %.
			if m.d.Old <= 0 || float64(m.d.Bytes())*100 <= g.MaxGrowthPercent*float64(m.d.Old) {
				continue
			}
			pct, _ := m.d.Percent()
			out = append(out, Violation{
				Key: c.Key, Metric: m.name, Old: m.d.Old, New: m.d.New, Percent: pct,
				Message: fmt.Sprintf("%s grew %s to %s (%+.2f%%, limit %g%%)", m.name,
					HumanBytes(m.d.Old), HumanBytes(m.d.New), pct, g.MaxGrowthPercent),
			})
		}
	}
	return out
}

// LoadGate reads a gate configuration such as {"max_growth_percent": 5}.
// A missing max_growth_percent means DefaultMaxGrowthPercent; unknown fields
// and negative values are rejected.
func LoadGate(path string) (Gate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Gate{}, fmt.Errorf("loading gate: %w", err)
	}
	g, err := parseGate(data)
	if err != nil {
		return Gate{}, fmt.Errorf("loading gate %s: %w", path, err)
	}
	return g, nil
}

func parseGate(data []byte) (Gate, error) {
	var cfg struct {
		MaxGrowthPercent *float64 `json:"max_growth_percent"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return Gate{}, decodeError(data, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Gate{}, errors.New("decoding JSON: data after the configuration object")
	}
	g := DefaultGate()
	if p := cfg.MaxGrowthPercent; p != nil {
		if *p < 0 {
			return Gate{}, fmt.Errorf("field max_growth_percent is %g, want a number >= 0", *p)
		}
		g.MaxGrowthPercent = *p
	}
	return g, nil
}
