package matrix

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
)

// The chart is a grid of small multiples, one panel per recipe, two panels
// to a row. Inside a panel the x axis has one group per platform and each
// group has one bar per toolchain-linkage variant, always in the same order
// and color; the y axis is the image size as `docker images` reports it.
//
// Why per recipe rather than per platform: the question a reader brings is
// "which toolchain and linkage gives the smallest image for this program, and
// does that hold on every architecture?". Sizes barely move across
// platforms, so a panel per platform would show near-identical pictures
// of 36 thin bars each, while a panel per recipe shows 24 bars on four
// platforms (about 14 px wide at ~6 variants; past wideAt platforms, as the
// nine of a default run, a panel takes the whole row) where a platform that
// breaks the pattern (a failed riscv64 build, a fat arm/v7 loader) stands
// out. All panels share one y
// scale so that recipes compare too. Sizes span three decades (a 5 kB static
// zig binary next to a 2 MB glibc closure), so the scale turns logarithmic
// when max/min exceeds 50. Hue encodes the toolchain and shade the linkage
// (dark static, light dynamic), which keeps six colors readable as three
// pairs. Each bar carries a <title> with exact sizes for hover.

// Layout of the chart in SVG user units (pixels).
const (
	svgWidth     = 1000.0
	svgMargin    = 24.0  // left and right page margin
	panelColumns = 2     // panels per row, for up to wideAt platforms; one above
	wideAt       = 4     // platforms that still fit a half-width panel (about 14 px bars)
	panelGap     = 28.0  // horizontal space between panels
	plotLeft     = 64.0  // inside a panel: room for tick labels and the y label
	plotTop      = 26.0  // inside a panel: room for the recipe name
	plotHeight   = 170.0 // height of a plot area
	panelHeight  = 250.0 // plotTop + plotHeight + platform labels + gap
	logThreshold = 50.0  // max/min above which the y axis is logarithmic
)

// hues are the dark (static) and light (dynamic) colors of each toolchain.
// The known toolchains keep their color when others are added.
var hues = []struct{ dark, light string }{
	{"#1f4e9c", "#9ec1ee"}, // gcc: blue
	{"#1b7f3b", "#9ad8a9"}, // musl-gcc: green
	{"#c55a00", "#f8c48f"}, // zig: orange
	{"#6a3d9a", "#cdb6e0"}, // purple
	{"#8c510a", "#dfc27d"}, // brown
	{"#4d4d4d", "#bdbdbd"}, // gray
}

var knownToolchains = []string{"gcc", "musl-gcc", "zig"}

// colors assigns a fill and stroke to every variant.
func colors(vs []variant) map[variant][2]string {
	out := make(map[variant][2]string, len(vs))
	next := len(knownToolchains)
	hueOf := map[string]int{}
	for i, t := range knownToolchains {
		hueOf[t] = i
	}
	for _, v := range vs {
		h, ok := hueOf[v.Toolchain]
		if !ok {
			h = next % len(hues)
			hueOf[v.Toolchain] = h
			next++
		}
		fill := hues[h].light
		if v.Linkage == "static" {
			fill = hues[h].dark
		}
		out[v] = [2]string{fill, hues[h].dark}
	}
	return out
}

// yScale maps a byte count to a height fraction in [0, 1] and lists ticks.
type yScale struct {
	log    bool
	lo, hi float64 // axis range; lo > 0 when log
	step   float64 // linear tick spacing
}

func newYScale(g grid) yScale {
	lo, hi := math.Inf(1), 0.0
	for _, r := range g.cells {
		if v := float64(r.Sizes.ImageDocker); r.Status == StatusBuilt && v > 0 {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if hi == 0 {
		return yScale{lo: 0, hi: 1000, step: 200}
	}
	if hi/lo > logThreshold {
		s := yScale{log: true, lo: math.Pow(10, math.Floor(math.Log10(lo))), hi: math.Pow(10, math.Ceil(math.Log10(hi)))}
		if s.hi <= s.lo {
			s.hi = s.lo * 10
		}
		return s
	}
	step := niceStep(max(hi/5, 1))
	return yScale{lo: 0, hi: math.Ceil(hi/step) * step, step: step}
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

func (s yScale) frac(v float64) float64 {
	if s.log {
		if v <= s.lo {
			return 0
		}
		return math.Min(1, math.Log10(v/s.lo)/math.Log10(s.hi/s.lo))
	}
	return math.Min(1, v/s.hi)
}

// ticks returns the labelled values: decades when log, 1-2-5 steps otherwise.
func (s yScale) ticks() []float64 {
	var out []float64
	if s.log {
		for v := s.lo; v <= s.hi*1.0001; v *= 10 {
			out = append(out, math.Round(v))
		}
		return out
	}
	for i := 0.0; i*s.step <= s.hi*1.0001; i++ {
		out = append(out, i*s.step)
	}
	return out
}

// tickLabel is HumanBytes without trailing zeros: "1 kB", "2.5 MB".
func tickLabel(v float64) string {
	s := HumanBytes(int64(v))
	num, unit, _ := strings.Cut(s, " ")
	if strings.Contains(num, ".") {
		num = strings.TrimRight(strings.TrimRight(num, "0"), ".")
	}
	return num + " " + unit
}

// SVG draws the image sizes as a grid of bar charts, one panel per recipe
// (see the comment at the top of this file). The output is deterministic.
func SVG(w io.Writer, m *Matrix) error {
	g := newGrid(m)
	sc := newYScale(g)
	col := colors(g.variants)
	var b bytes.Buffer

	// Title, subtitle and a legend whose entries sit in equal slots sized
	// for the longest name.
	slot := 0.0
	for _, v := range g.variants {
		slot = max(slot, 34+7.4*float64(len(v.String())))
	}
	perRow := max(1, int((svgWidth-2*svgMargin)/max(slot, 1)))
	var legendRows [][]variant
	for i := 0; i < len(g.variants); i += perRow {
		legendRows = append(legendRows, g.variants[i:min(i+perRow, len(g.variants))])
	}
	top := 100 + 22*float64(len(legendRows))
	cols := panelColumns
	if len(g.platforms) > wideAt {
		cols = 1 // nine platforms: full-width panels keep the bars and labels as wide
	}
	rows := (len(g.recipes) + cols - 1) / cols
	height := top + float64(max(rows, 1))*panelHeight + 10

	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`+"\n",
		svgWidth, height, svgWidth, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	const title = "Image size by recipe, platform and toolchain-linkage"
	b.WriteString("<title>" + title + "</title>\n")
	text(&b, svgMargin, 32, `font-size="20" font-weight="bold" fill="#222"`, title)
	scaleName := "linear scale"
	if sc.log {
		scaleName = "log scale"
	}
	text(&b, svgMargin, 54, `font-size="12" fill="#555"`,
		"Uncompressed image size as \u201cdocker images\u201d reports it (SI units, "+scaleName+", same scale in every panel).")
	text(&b, svgMargin, 71, `font-size="12" fill="#555"`,
		"Hue: toolchain; dark: static, light: dynamic. n/a: not applicable, unavailable: toolchain missing, FAILED: build failed, ✗: smoke test failed.")
	for i, lr := range legendRows {
		x, y := svgMargin, 92+22*float64(i)
		for _, v := range lr {
			c := col[v]
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="14" height="14" fill="%s" stroke="%s"/>`+"\n", x, y-11, c[0], c[1])
			text(&b, x+20, y, `font-size="13" fill="#222"`, v.String())
			x += slot
		}
	}
	if len(g.recipes) == 0 {
		text(&b, svgMargin, top+40, `font-size="14" fill="#555"`, "No cells in this matrix.")
	}
	panelW := (svgWidth - 2*svgMargin - panelGap*float64(cols-1)) / float64(cols)
	for i, rec := range g.recipes {
		px := svgMargin + float64(i%cols)*(panelW+panelGap)
		py := top + float64(i/cols)*panelHeight
		panel(&b, g, sc, col, rec, px, py, panelW, i%cols == 0, i/cols == rows-1)
	}
	b.WriteString("</svg>\n")
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing SVG: %w", err)
	}
	return nil
}

// panel draws one recipe's bars at (px, py) with width pw.
func panel(b *bytes.Buffer, g grid, sc yScale, col map[variant][2]string, rec string, px, py, pw float64, yLabel, xLabel bool) {
	x0, y0 := px+plotLeft, py+plotTop // top-left of the plot area
	w := pw - plotLeft
	base := y0 + plotHeight
	text(b, px, py+14, `font-size="15" font-weight="bold" fill="#222"`, rec)
	// Grid lines and tick labels.
	for _, t := range sc.ticks() {
		y := base - sc.frac(t)*plotHeight
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e3e3e3"/>`+"\n", x0, y, x0+w, y)
		text(b, x0-6, y+4, `font-size="11" fill="#444" text-anchor="end"`, tickLabel(t))
	}
	if sc.log { // minor ticks at 2..9 times each decade
		for d := sc.lo; d < sc.hi; d *= 10 {
			for k := 2.0; k < 10; k++ {
				y := base - sc.frac(d*k)*plotHeight
				fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#888"/>`+"\n", x0-3, y, x0, y)
			}
		}
	}
	if xLabel {
		text(b, x0+w/2, base+36, `font-size="12" fill="#444" text-anchor="middle"`, "platform")
	}
	if yLabel {
		cy := y0 + plotHeight/2
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="12" fill="#444" text-anchor="middle" transform="rotate(-90 %.1f %.1f)">image size</text>`+"\n",
			px+10, cy, px+10, cy)
	}
	// Bars, one group per platform.
	groupW := w / float64(max(len(g.platforms), 1))
	nv := float64(max(len(g.variants), 1))
	barW := min(groupW*0.84/nv, 36) // wide bars for few variants look like blocks
	for gi, p := range g.platforms {
		gx := x0 + float64(gi)*groupW + (groupW-barW*nv)/2
		text(b, x0+(float64(gi)+0.5)*groupW, base+18, `font-size="12" fill="#222" text-anchor="middle"`,
			strings.TrimPrefix(p, "linux/"))
		for vi, v := range g.variants {
			r, ok := g.cell(rec, p, v)
			if !ok {
				continue
			}
			bx := gx + float64(vi)*barW
			cx := bx + barW/2
			switch {
			case r.Status == StatusNotApplicable:
				vertical(b, cx, base-4, `font-size="9" fill="#888"`, "n/a")
			case r.Status == StatusUnavailable:
				vertical(b, cx, base-4, `font-size="9" fill="#888" font-style="italic"`, "unavailable")
			case r.Status != StatusBuilt:
				vertical(b, cx, base-4, `font-size="9" fill="#c00000" font-weight="bold"`, "FAILED")
			default:
				hgt := sc.frac(float64(r.Sizes.ImageDocker)) * plotHeight
				c := col[v]
				fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" stroke="%s" stroke-width="0.8"><title>%s</title></rect>`+"\n",
					bx+1, base-hgt, barW-2, hgt, c[0], c[1], esc(barTitle(r)))
				// The size reads upwards inside the bar when it fits, else above it.
				label := HumanBytes(r.Sizes.ImageDocker)
				labelLen := 5.6*float64(len(label)) + 6
				markY := base - hgt - 4
				if hgt > labelLen {
					ink := "#ffffff"
					if v.Linkage != "static" {
						ink = "#222222"
					}
					vertical(b, cx, base-hgt+4, `font-size="9" text-anchor="end" fill="`+ink+`"`, label)
				} else {
					vertical(b, cx, base-hgt-3, `font-size="9" fill="#333"`, label)
					markY -= labelLen
				}
				if r.Smoke.Status == SmokeFail {
					text(b, cx, markY, `font-size="11" fill="#c00000" text-anchor="middle" font-weight="bold"`, "✗")
				}
			}
		}
	}
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`+"\n", x0, y0, x0, base)
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`+"\n", x0, base, x0+w, base)
}

func barTitle(r Row) string {
	return fmt.Sprintf("%s: image %s (registry %s), binary %s, libraries %s",
		r.Key(), HumanBytes(r.Sizes.ImageDocker), HumanBytes(r.Sizes.ImageRegistry),
		HumanBytes(r.Sizes.Binary), HumanBytes(r.Sizes.Libraries))
}

func text(b *bytes.Buffer, x, y float64, attrs, s string) {
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" %s>%s</text>`+"\n", x, y, attrs, esc(s))
}

// vertical writes text reading upwards from (x, y), centered on x.
func vertical(b *bytes.Buffer, x, y float64, attrs, s string) {
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" %s transform="rotate(-90 %.1f %.1f)" dominant-baseline="central">%s</text>`+"\n",
		x, y, attrs, x, y, esc(s))
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) // writes to a strings.Builder never fail
	return b.String()
}
