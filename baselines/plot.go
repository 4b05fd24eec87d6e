package baselines

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
)

var classColors = map[string]color.Color{
	"malicious": color.RGBA{R: 0xc0, G: 0x39, B: 0x2b, A: 0xff},
	"benign":    color.RGBA{R: 0x29, G: 0x80, B: 0xb9, A: 0xff},
}

// writeAlertsPlot draws the paper's Fig. 3: mean alerts per package by class,
// one group of bars per tool and scope, on the given split. It writes
// <stem>.png and <stem>.svg.
func writeAlertsPlot(dir, stem string, stats []ClassStat, split string) error {
	find := func(series string, sc Scope, cl string) (ClassStat, bool) {
		for _, s := range stats {
			if s.Split == split && s.Series == series && s.Scope == sc && s.Class == cl {
				return s, true
			}
		}
		return ClassStat{}, false
	}
	var labels []string
	vals := map[string]plotter.Values{}
	for _, series := range []string{"bandit", "packj"} {
		for _, sc := range Scopes {
			if _, ok := find(series, sc, Classes[0]); !ok {
				continue
			}
			labels = append(labels, series+" · "+string(sc))
			for _, cl := range Classes {
				s, _ := find(series, sc, cl)
				vals[cl] = append(vals[cl], s.Mean)
			}
		}
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Mean alerts per package (%s rows)", split)
	p.Y.Label.Text = "mean alerts per package"
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	if len(labels) == 0 {
		p.Title.Text += ": no data"
	} else {
		w := vg.Points(22)
		top := 0.0
		for i, cl := range Classes {
			bars, err := plotter.NewBarChart(vals[cl], w)
			if err != nil {
				return fmt.Errorf("plot: %w", err)
			}
			bars.Offset = w * vg.Length(float64(i)-float64(len(Classes)-1)/2)
			bars.Color = classColors[cl]
			bars.LineStyle.Width = 0
			p.Add(bars)
			p.Legend.Add(cl, bars)
			// The mean above each bar.
			xy := plotter.XYLabels{XYs: make(plotter.XYs, len(vals[cl])), Labels: make([]string, len(vals[cl]))}
			for j, v := range vals[cl] {
				xy.XYs[j] = plotter.XY{X: float64(j), Y: v}
				xy.Labels[j] = ff(v, 2)
				top = max(top, v)
			}
			lab, err := plotter.NewLabels(xy)
			if err != nil {
				return fmt.Errorf("plot: %w", err)
			}
			for j := range lab.TextStyle {
				lab.TextStyle[j].XAlign = text.XCenter
				lab.TextStyle[j].Font.Size = vg.Points(8)
			}
			lab.Offset = vg.Point{X: bars.Offset, Y: vg.Points(2)}
			p.Add(lab)
		}
		p.Y.Max = math.Max(1, top*1.15)
		p.Y.Tick.Marker = plot.TickerFunc(niceTicks)
		p.Legend.Top = true
		p.NominalX(labels...)
	}
	for _, ext := range []string{".png", ".svg"} {
		if err := p.Save(16*vg.Centimeter, 10*vg.Centimeter, filepath.Join(dir, stem+ext)); err != nil {
			return fmt.Errorf("plot: %w", err)
		}
	}
	return nil
}

// niceTicks puts about five labelled ticks on 1-2-5 steps from zero.
func niceTicks(lo, hi float64) []plot.Tick {
	span := hi - lo
	if span <= 0 {
		return nil
	}
	raw := span / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+1e-9; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	return ticks
}
