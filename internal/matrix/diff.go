package matrix

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// Delta is the change of one size between two runs.
type Delta struct {
	Old, New int64
}

// Bytes is New - Old.
func (d Delta) Bytes() int64 { return d.New - d.Old }

// Percent is the change relative to Old. ok is false when Old is zero, where
// a percentage means nothing.
func (d Delta) Percent() (pct float64, ok bool) {
	if d.Old == 0 {
		return 0, false
	}
	return float64(d.New-d.Old) * 100 / float64(d.Old), true
}

// String renders "+70.0 kB (+3.00%)", "0 B" or, from zero, "+1.20 kB (from 0)".
func (d Delta) String() string {
	if d.Bytes() == 0 {
		return "0 B"
	}
	pct, ok := d.Percent()
	if !ok {
		return signedBytes(d.Bytes()) + " (from 0)"
	}
	return fmt.Sprintf("%s (%+.2f%%)", signedBytes(d.Bytes()), pct)
}

// CellDiff compares one cell present in both matrices.
type CellDiff struct {
	Key
	OldStatus, NewStatus Status
	ImageDocker          Delta
	ImageRegistry        Delta
	Binary               Delta
}

// Changed reports whether the status or any compared size moved.
func (c CellDiff) Changed() bool {
	return c.OldStatus != c.NewStatus || c.ImageDocker.Bytes() != 0 ||
		c.ImageRegistry.Bytes() != 0 || c.Binary.Bytes() != 0
}

// DiffReport compares a new matrix against a baseline.
type DiffReport struct {
	// Cells holds every cell present in both, sorted by the absolute change
	// of ImageDocker, largest first, then by cell key.
	Cells []CellDiff
	// Added are cells only in the new matrix, Removed only in the old one;
	// both in Sort order.
	Added, Removed []Row
}

// Diff compares new against old cell by cell (recipe, platform, toolchain,
// linkage).
func Diff(old, new *Matrix) DiffReport {
	var r DiffReport
	before := make(map[Key]Row, len(old.Rows))
	for _, o := range old.Rows {
		before[o.Key()] = o
	}
	for _, n := range sorted(new) {
		o, ok := before[n.Key()]
		if !ok {
			r.Added = append(r.Added, n)
			continue
		}
		delete(before, n.Key())
		r.Cells = append(r.Cells, CellDiff{
			Key:           n.Key(),
			OldStatus:     o.Status,
			NewStatus:     n.Status,
			ImageDocker:   Delta{o.Sizes.ImageDocker, n.Sizes.ImageDocker},
			ImageRegistry: Delta{o.Sizes.ImageRegistry, n.Sizes.ImageRegistry},
			Binary:        Delta{o.Sizes.Binary, n.Sizes.Binary},
		})
	}
	for _, o := range sorted(old) {
		if _, ok := before[o.Key()]; ok {
			r.Removed = append(r.Removed, o)
		}
	}
	slices.SortStableFunc(r.Cells, func(a, b CellDiff) int {
		return cmp.Or(cmp.Compare(abs(b.ImageDocker.Bytes()), abs(a.ImageDocker.Bytes())), compareKeys(a.Key, b.Key))
	})
	return r
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// Write prints the changed cells as a table, then the added and removed
// cells, and how many cells did not change.
func (r DiffReport) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	unchanged := 0
	header := false
	for _, c := range r.Cells {
		if !c.Changed() {
			unchanged++
			continue
		}
		if !header {
			fmt.Fprintln(tw, "CELL\tIMAGE (DOCKER)\tCHANGE\tREGISTRY\tBINARY\tSTATUS")
			header = true
		}
		status := string(c.NewStatus)
		if c.OldStatus != c.NewStatus {
			status = string(c.OldStatus) + " -> " + string(c.NewStatus)
		}
		// Sizes of a cell that was not built are zeros, not measurements.
		image := func(s Status, n int64) string {
			if s != StatusBuilt {
				return "-"
			}
			return HumanBytes(n)
		}
		changes := []any{c.ImageDocker, c.ImageRegistry, c.Binary}
		if c.OldStatus != StatusBuilt || c.NewStatus != StatusBuilt {
			changes = []any{"-", "-", "-"}
		}
		fmt.Fprintf(tw, "%s\t%s -> %s\t%s\t%s\t%s\t%s\n", oneLine(c.Key.String()),
			image(c.OldStatus, c.ImageDocker.Old), image(c.NewStatus, c.ImageDocker.New),
			changes[0], changes[1], changes[2], status)
	}
	if !header {
		fmt.Fprintln(tw, "No size or status changes.")
	}
	for _, list := range []struct {
		title string
		rows  []Row
	}{{"Added", r.Added}, {"Removed", r.Removed}} {
		if len(list.rows) == 0 {
			continue
		}
		fmt.Fprintf(tw, "\n%s:\n", list.title)
		for _, row := range list.rows {
			size := HumanBytes(row.Sizes.ImageDocker)
			if row.Status != StatusBuilt {
				size = "-"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", oneLine(row.Key().String()), size, row.Status)
		}
	}
	fmt.Fprintf(tw, "\n%d cells compared, %d unchanged, %d added, %d removed.\n",
		len(r.Cells), unchanged, len(r.Added), len(r.Removed))
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing diff: %w", err)
	}
	return nil
}
