package reports

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"pypimal/experiments"
	"pypimal/experiments/results"
)

// PlotDPI is the resolution of the PNG plots. A plot of W×H inches is
// W·PlotDPI × H·PlotDPI pixels: 8in × 4.5in gives 768 × 432 px, 8in × 6in
// gives 768 × 576 px. The SVGs have the same size in points (576pt × 324pt
// for 8in × 4.5in).
const PlotDPI = 96

// Plot sizes.
const (
	plotWidth  = 8 * vg.Inch
	plotHeight = 4.5 * vg.Inch
	tallHeight = 6 * vg.Inch // importance_top20: room for 20 labels
)

// PlotFile is one plot written by WritePlots, as a PNG and an SVG.
type PlotFile struct {
	Name  string // base name: "f1_by_set", "f1_by_set-leaky", "importance_top20", ...
	Title string // what it shows, for the report
	PNG   string // file name, relative to the output folder
	SVG   string
	// Size of the PNG in pixels (PlotDPI dots per inch).
	WidthPx, HeightPx int
}

// WritePlots draws the plots of r into dir (created if needed), each as
// <name>.png and <name>.svg, and returns them in report order:
//
//   - f1_by_set (and f1_by_set-leaky): CV mean F1 per feature set, one
//     bar per model, error bars ± std; 8in × 4.5in (768 × 432 px).
//   - importance_top20: the 20 single columns with the largest mean F1
//     drop, horizontal bars ± std; 8in × 6in (768 × 576 px).
//   - importance_families: feature groups (families) and the text
//     vocabulary, horizontal bars ± std; 8in × 4.5in.
//   - pr_curves: precision-recall step curves of r.Curves on the test
//     split, AP in the legend; 8in × 4.5in.
//   - rules: stacking vs the intersection rule on the test split,
//     precision and recall bars beside a panel of false-positive counts;
//     8in × 4.5in.
//
// A plot whose data is absent (no cells of that variant, no importance of
// that kind, no curves, no rules) is not written and not returned. Files
// depend only on r: the SVG has no timestamp and fonts are not embedded
// (the viewer's Liberation/Arial/Helvetica/Times is used), so a second run
// writes byte-identical PNG and SVG files.
func WritePlots(dir string, r *results.Results) ([]PlotFile, error) {
	ix, err := newIndex(r)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	type job struct {
		name, title string
		h           vg.Length
		draw        func(draw.Canvas) error
	}
	var jobs []job
	for _, leaky := range ix.variants {
		name := "f1_by_set"
		if leaky {
			name += "-leaky"
		}
		jobs = append(jobs, job{name, "CV F1 by feature set and model, " + variantName(leaky), plotHeight,
			func(dc draw.Canvas) error { return drawF1BySet(dc, ix, leaky) }})
	}
	if cols := importanceOf(r, experiments.KindColumn); len(cols) > 0 {
		jobs = append(jobs, job{"importance_top20", "Permutation importance: top 20 features", tallHeight,
			func(dc draw.Canvas) error {
				return drawImportance(dc, r, cols[:min(20, len(cols))], fmt.Sprintf("Permutation importance: top %d features", min(20, len(cols))))
			}})
	}
	if fams := importanceOf(r, experiments.KindGroup, experiments.KindText); len(fams) > 0 {
		jobs = append(jobs, job{"importance_families", "Permutation importance by feature family", plotHeight,
			func(dc draw.Canvas) error {
				return drawImportance(dc, r, fams, "Permutation importance by family")
			}})
	}
	if len(r.Curves) > 0 {
		jobs = append(jobs, job{"pr_curves", "Precision-recall curves on the test split", plotHeight,
			func(dc draw.Canvas) error { return drawPRCurves(dc, r) }})
	}
	if len(r.Rules) > 0 {
		jobs = append(jobs, job{"rules", "Stacking vs the intersection rule on the test split", plotHeight,
			func(dc draw.Canvas) error { return drawRules(dc, r) }})
	}
	var out []PlotFile
	for _, j := range jobs {
		pf, err := render(dir, j.name, j.title, plotWidth, j.h, j.draw)
		if err != nil {
			return nil, fmt.Errorf("reports: plot %s: %w", j.name, err)
		}
		out = append(out, pf)
	}
	return out, nil
}

// render draws a plot twice, on an SVG and on a PNG canvas, and writes both.
func render(dir, name, title string, w, h vg.Length, drawFn func(draw.Canvas) error) (PlotFile, error) {
	pf := PlotFile{Name: name, Title: title, PNG: name + ".png", SVG: name + ".svg"}

	svg := vgsvg.New(w, h)
	if err := drawFn(withBackground(draw.New(svg))); err != nil {
		return pf, err
	}
	var sb bytes.Buffer
	if _, err := svg.WriteTo(&sb); err != nil {
		return pf, err
	}

	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(PlotDPI))
	if err := drawFn(withBackground(draw.New(img))); err != nil {
		return pf, err
	}
	var pb bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&pb); err != nil {
		return pf, err
	}
	bounds := img.Image().Bounds()
	pf.WidthPx, pf.HeightPx = bounds.Dx(), bounds.Dy()

	if err := os.WriteFile(filepath.Join(dir, pf.SVG), sb.Bytes(), 0o644); err != nil {
		return pf, err
	}
	if err := os.WriteFile(filepath.Join(dir, pf.PNG), pb.Bytes(), 0o644); err != nil {
		return pf, err
	}
	return pf, nil
}

// withBackground paints the canvas white (an SVG is transparent otherwise,
// which hides black text in dark viewers) and returns it.
func withBackground(dc draw.Canvas) draw.Canvas {
	dc.FillPolygon(color.White, rectPts(dc.Rectangle))
	return dc
}

func rectPts(r vg.Rectangle) []vg.Point {
	return []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}}
}

// palette is Tableau 10: distinct hues, readable in print and by most
// colour-blind readers. Series beyond ten reuse it.
var palette = []color.Color{
	rgb(0x4e79a7), rgb(0xf28e2b), rgb(0xe15759), rgb(0x76b7b2), rgb(0x59a14f),
	rgb(0xedc948), rgb(0xb07aa1), rgb(0xff9da7), rgb(0x9c755f), rgb(0xbab0ac),
}

func rgb(v uint32) color.Color {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

func colorAt(i int) color.Color { return palette[i%len(palette)] }

func textStyle(size vg.Length) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(plot.DefaultFont, size),
		Handler: plot.DefaultTextHandler,
	}
}

// swatch is a legend thumbnail: a filled rectangle.
type swatch struct{ c color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	if h := r.Max.Y - r.Min.Y; h > vg.Points(8) {
		mid := (r.Min.Y + r.Max.Y) / 2
		r.Min.Y, r.Max.Y = mid-vg.Points(4), mid+vg.Points(4)
	}
	c.FillPolygon(s.c, rectPts(r))
}

// barSeries is one colour of a grouped bar chart.
type barSeries struct {
	name   string
	color  color.Color
	values []float64 // one per category; NaN: no bar
	errs   []float64 // nil, or one per category; NaN or 0: no error bar
	labels []string  // nil, or a text per category drawn past the bar's end
}

// groupedBars draws categories at 0, 1, …, n-1 on the category axis, each
// with one bar per series side by side, filling 80% of the slot. It is a
// plot.Plotter and plot.DataRanger.
type groupedBars struct {
	series     []barSeries
	n          int
	horizontal bool
}

const barSlot = 0.8

func (g *groupedBars) span(k, j int) (lo, hi float64) {
	bw := barSlot / float64(len(g.series))
	lo = float64(k) - barSlot/2 + float64(j)*bw
	return lo, lo + bw
}

func (g *groupedBars) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	pt := func(cat, val float64) vg.Point {
		if g.horizontal {
			return vg.Point{X: trX(val), Y: trY(cat)}
		}
		return vg.Point{X: trX(cat), Y: trY(val)}
	}
	errStyle := draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)}
	label := textStyle(8)
	if g.horizontal {
		label.XAlign, label.YAlign = draw.XLeft, draw.YCenter
	} else {
		label.XAlign, label.YAlign = draw.XCenter, draw.YBottom
	}
	for j, s := range g.series {
		for k, v := range s.values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			lo, hi := g.span(k, j)
			c.FillPolygon(s.color, c.ClipPolygonXY([]vg.Point{pt(lo, 0), pt(hi, 0), pt(hi, v), pt(lo, v)}))
			mid, end := (lo+hi)/2, v
			if s.errs != nil {
				if e := s.errs[k]; e > 0 && !math.IsInf(e, 0) {
					capW := (hi - lo) / 4
					end = v + e
					c.StrokeLines(errStyle, c.ClipLinesXY(
						[]vg.Point{pt(mid, v-e), pt(mid, v+e)},
						[]vg.Point{pt(mid-capW, v-e), pt(mid+capW, v-e)},
						[]vg.Point{pt(mid-capW, v+e), pt(mid+capW, v+e)},
					)...)
				}
			}
			if s.labels != nil && s.labels[k] != "" {
				p := pt(mid, math.Max(end, 0))
				if g.horizontal {
					p.X += vg.Points(3)
				} else {
					p.Y += vg.Points(2)
				}
				c.FillText(label, p, s.labels[k])
			}
		}
	}
}

func (g *groupedBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	lo, hi := 0.0, 0.0
	labels := false
	for _, s := range g.series {
		labels = labels || s.labels != nil
		for k, v := range s.values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			e := 0.0
			if s.errs != nil && s.errs[k] > 0 && !math.IsInf(s.errs[k], 0) {
				e = s.errs[k]
			}
			lo, hi = math.Min(lo, v-e), math.Max(hi, v+e)
		}
	}
	if lo == hi {
		hi = 1
	}
	if labels { // room for the text past the longest bar
		hi += 0.15 * (hi - lo)
	}
	cmin, cmax := -0.5, float64(g.n)-0.5
	if g.horizontal {
		return lo, hi, cmin, cmax
	}
	return cmin, cmax, lo, hi
}

// nominalX names the categories of the X axis, turning the labels when
// they are wider than a category's share of width.
func nominalX(p *plot.Plot, names []string, width vg.Length) {
	p.NominalX(names...)
	widest := vg.Length(0)
	for _, n := range names {
		widest = max(widest, p.X.Tick.Label.Width(n))
	}
	if widest > 0.9*width/vg.Length(max(1, len(names))) {
		p.X.Tick.Label.Rotation = math.Pi / 7
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
}

// drawF1BySet: grouped bars of CV mean F1, one group per feature set, one
// bar per model, ± std.
func drawF1BySet(dc draw.Canvas, ix *index, leaky bool) error {
	r := ix.r
	f1 := metricByKey("f1")
	p := plot.New()
	p.Title.Text = "CV F1 by feature set and model, " + variantName(leaky)
	p.Y.Label.Text = "F1 (CV mean ± std)"
	p.X.Label.Text = "feature set"
	grid := plotter.NewGrid()
	grid.Vertical.Width = 0
	p.Add(grid)

	bars := &groupedBars{n: len(r.Sets)}
	leg := plot.NewLegend()
	leg.Left, leg.Top = true, true
	leg.TextStyle = textStyle(10)
	for j, model := range r.Models {
		s := barSeries{name: model, color: colorAt(j), values: make([]float64, len(r.Sets)), errs: make([]float64, len(r.Sets))}
		for k, set := range r.Sets {
			s.values[k], s.errs[k] = math.NaN(), math.NaN()
			if c := ix.cell(set, leaky, model); c != nil && c.CV.N > 0 {
				st := f1.cv(c.CV)
				s.values[k], s.errs[k] = st.Mean, st.Std
			}
		}
		bars.series = append(bars.series, s)
		leg.Add(model, swatch{s.color})
	}
	p.Add(bars)
	p.Y.Min = math.Min(p.Y.Min, 0)
	p.Y.Max = math.Max(p.Y.Max, 1)
	if p.Y.Min == 0 {
		p.Y.Tick.Marker = plot.ConstantTicks(unitTicks())
	}

	// The legend gets its own strip on the right, so no bar hides under it.
	pad := vg.Points(8)
	lr := leg.Rectangle(dc)
	legW := lr.Max.X - lr.Min.X
	plotC := draw.Crop(dc, 0, -(legW + 2*pad), 0, 0)
	nominalX(p, r.Sets, plotC.Max.X-plotC.Min.X-vg.Inch)
	p.Draw(plotC)
	leg.Draw(draw.Crop(dc, dc.Max.X-dc.Min.X-legW-pad, -pad, 0, -3*pad))
	return nil
}

// drawImportance: horizontal bars of mean F1 drop ± std, largest at the top.
func drawImportance(dc draw.Canvas, r *results.Results, feats []experiments.Importance, title string) error {
	n := len(feats)
	names := make([]string, n)
	s := barSeries{color: colorAt(0), values: make([]float64, n), errs: make([]float64, n)}
	repeats := 0
	for i, f := range feats {
		k := n - 1 - i // NominalY puts category 0 at the bottom
		names[k] = f.Name
		s.values[k], s.errs[k] = f.Mean, f.Std
		repeats = max(repeats, len(f.Drops))
	}
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 12
	if r.ImportanceModel != "" {
		p.Title.Text += fmt.Sprintf("\n%s on %s, %s", r.ImportanceModel, r.ImportanceSet, variantName(r.ImportanceLeaky))
	}
	p.X.Label.Text = "F1 drop when shuffled (mean ± std" + overRepeats(repeats) + ")"
	grid := plotter.NewGrid()
	grid.Horizontal.Width = 0
	p.Add(grid)
	p.Add(&groupedBars{series: []barSeries{s}, n: n, horizontal: true})
	// A margin so that error-bar caps at the ends are not cut.
	margin := 0.03 * (p.X.Max - p.X.Min)
	p.X.Max += margin
	if p.X.Min < 0 {
		p.X.Min -= margin
	}
	p.NominalY(names...)
	p.Y.Tick.Label.Font.Size = 9
	p.Draw(dc)
	return nil
}

// drawPRCurves: one step curve per Curve, AP in the legend, and the
// no-skill line at the prevalence when every curve has the same one.
func drawPRCurves(dc draw.Canvas, r *results.Results) error {
	p := plot.New()
	p.Title.Text = "Precision-recall on the test split"
	p.X.Label.Text = "recall"
	p.Y.Label.Text = "precision"
	p.Add(plotter.NewGrid())
	p.Legend.Left, p.Legend.Top = true, false
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(6), vg.Points(6)
	p.Legend.TextStyle = textStyle(9)
	prevalence := math.NaN()
	same := true
	for i, cv := range r.Curves {
		pts, err := experiments.PRCurve(cv.Y, cv.Scores)
		if errors.Is(err, experiments.ErrNoPositives) {
			p.Legend.Add(cv.Label + " (no malicious rows: no curve)")
			same = false
			continue
		}
		if err != nil {
			return fmt.Errorf("curve %q: %w", cv.Label, err)
		}
		// Points by increasing recall; a pre-step holds each point's
		// precision on the recall interval that ends at it, the step
		// function whose area is the average precision.
		xys := make(plotter.XYs, len(pts))
		for k, pt := range pts {
			xys[len(pts)-1-k] = plotter.XY{X: pt.Recall, Y: pt.Precision}
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return err
		}
		line.StepStyle = plotter.PreStep
		line.Color = colorAt(i)
		line.Width = vg.Points(1.5)
		if i >= len(palette) {
			line.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		}
		p.Add(line)
		ap, err := experiments.AveragePrecision(cv.Y, cv.Scores)
		if err != nil {
			return err
		}
		p.Legend.Add(fmt.Sprintf("%s (AP %s)", cv.Label, num(ap)), line)
		pos := 0
		for _, y := range cv.Y {
			pos += y
		}
		prev := float64(pos) / float64(len(cv.Y))
		if i == 0 || prev == prevalence {
			prevalence = prev
		} else {
			same = false
		}
	}
	if same && !math.IsNaN(prevalence) {
		base, err := plotter.NewLine(plotter.XYs{{X: 0, Y: prevalence}, {X: 1, Y: prevalence}})
		if err != nil {
			return err
		}
		base.Color = color.Gray{Y: 0x80}
		base.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
		p.Add(base)
		p.Legend.Add("no skill (prevalence "+num(prevalence)+")", base)
	}
	p.X.Min, p.X.Max = 0, 1
	p.Y.Min, p.Y.Max = 0, 1.02
	p.Draw(dc)
	return nil
}

// drawRules: precision and recall of each detector beside its false
// positives, on the test split.
func drawRules(dc draw.Canvas, r *results.Results) error {
	n := len(r.Rules)
	names := make([]string, n)
	prec := barSeries{name: "precision", color: colorAt(0), values: make([]float64, n), labels: make([]string, n)}
	rec := barSeries{name: "recall", color: colorAt(1), values: make([]float64, n), labels: make([]string, n)}
	fps := barSeries{name: "false positives", color: colorAt(2), values: make([]float64, n), labels: make([]string, n)}
	negatives := -1
	for i, rs := range r.Rules {
		m := rs.Metrics
		names[i] = rs.Name
		prec.values[i], prec.labels[i] = m.Precision, num(m.Precision)
		rec.values[i], rec.labels[i] = m.Recall, num(m.Recall)
		fps.values[i], fps.labels[i] = float64(m.FP), count(m.FP)
		if i == 0 {
			negatives = m.FP + m.TN
		} else if m.FP+m.TN != negatives {
			negatives = -1
		}
	}

	left := plot.New()
	left.Title.Text = "Precision and recall on the test split"
	left.Title.TextStyle.Font.Size = 11
	grid := plotter.NewGrid()
	grid.Vertical.Width = 0
	left.Add(grid)
	left.Add(&groupedBars{series: []barSeries{prec, rec}, n: n})
	left.Y.Min, left.Y.Max = 0, 1.3 // room for the legend above the bars
	left.Y.Tick.Marker = plot.ConstantTicks(unitTicks())
	left.Legend.Top = true
	left.Legend.TextStyle = textStyle(9)
	left.Legend.Add("precision", swatch{prec.color})
	left.Legend.Add("recall", swatch{rec.color})

	right := plot.New()
	right.Title.Text = "False positives on the test split"
	if negatives >= 0 {
		right.Title.Text += " (of " + count(negatives) + " benign)"
	}
	right.Title.TextStyle.Font.Size = 11
	grid = plotter.NewGrid()
	grid.Vertical.Width = 0
	right.Add(grid)
	right.Add(&groupedBars{series: []barSeries{fps}, n: n})
	right.Y.Min = 0
	right.Y.Max = math.Max(right.Y.Max, 1)
	right.Y.Label.Text = "benign packages flagged"

	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(20), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	tileW := (dc.Max.X - dc.Min.X - tiles.PadX) / 2
	nominalX(left, names, tileW-vg.Inch)
	nominalX(right, names, tileW-vg.Inch)
	cs := plot.Align([][]*plot.Plot{{left, right}}, tiles, dc)
	left.Draw(cs[0][0])
	right.Draw(cs[0][1])
	return nil
}

// overRepeats is " over 5 repeats", " over 1 repeat", or "" for 0.
func overRepeats(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return " over 1 repeat"
	}
	return fmt.Sprintf(" over %d repeats", n)
}

// unitTicks are ticks at 0, 0.2, …, 1 for an axis that extends past 1 only
// to make room.
func unitTicks() []plot.Tick {
	var t []plot.Tick
	for i := 0; i <= 10; i++ {
		v := float64(i) / 10
		label := ""
		if i%2 == 0 {
			label = fmt.Sprintf("%.1f", v)
		}
		t = append(t, plot.Tick{Value: v, Label: label})
	}
	return t
}
