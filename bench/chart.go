package bench

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

var (
	colorInProcess = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	colorSidecar   = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	colorOther     = color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}
)

// log10Ticks labels a log10-transformed axis with the original values.
type log10Ticks struct{ unit func(float64) string }

func (t log10Ticks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for k := math.Floor(min); k <= math.Ceil(max); k++ {
		ticks = append(ticks, plot.Tick{Value: k, Label: t.unit(math.Pow(10, k))})
	}
	return ticks
}

func nsLabel(v float64) string { return fmtNs(v) }

// WriteChart draws sections (a), (b) and (c) side by side, each on a log
// scale, into a PNG file at path.
func WriteChart(r *Results, path string) error {
	var plots []*plot.Plot
	if r.Hit != nil {
		p := plot.New()
		p.Title.Text = "(a) one cached read (lower is better)"
		p.Y.Label.Text = "time per read (log)"
		p.Y.Tick.Marker = log10Ticks{nsLabel}
		var names []string
		for i, row := range r.Hit.Rows {
			c := colorSidecar
			switch {
			case i == 0:
				c = colorInProcess
			case row.Name == "SDK GetParameter, no cache":
				c = colorOther
			}
			b, err := plotter.NewBarChart(plotter.Values{math.Log10(row.NsOp.Median())}, vg.Points(28))
			if err != nil {
				return err
			}
			b.XMin = float64(i)
			b.Color, b.LineStyle.Width = c, 0
			p.Add(b)
			names = append(names, shortName(row.Name))
		}
		p.NominalX(names...)
		p.Y.Min = 0
		headroom(p)
		plots = append(plots, p)
	}
	if len(r.Parallel) > 0 {
		p := plot.New()
		p.Title.Text = "(b) parallel hits (higher is better)"
		p.Y.Label.Text = "reads per second (log)"
		p.Y.Tick.Marker = log10Ticks{si}
		var in, sc plotter.Values
		var names []string
		for _, row := range r.Parallel {
			in = append(in, math.Log10(row.InProcess.Median()))
			sc = append(sc, math.Log10(row.Sidecar.Median()))
			names = append(names, fmt.Sprintf("%d goroutines", row.Goroutines))
		}
		if err := groupedBars(p, in, sc); err != nil {
			return err
		}
		p.NominalX(names...)
		p.Y.Min = 0
		headroom(p)
		plots = append(plots, p)
	}
	if len(r.Cold) > 0 {
		p := plot.New()
		p.Title.Text = "(c) cold key, N readers: p99 wait"
		p.Y.Label.Text = "p99 wait (log)"
		p.Y.Tick.Marker = log10Ticks{nsLabel}
		var in, sc plotter.Values
		var names []string
		for _, row := range r.Cold {
			in = append(in, math.Log10(row.InProcess.P99.Median()))
			sc = append(sc, math.Log10(row.Sidecar.P99.Median()))
			names = append(names, fmt.Sprintf("N=%d", row.Readers))
		}
		if err := groupedBars(p, in, sc); err != nil {
			return err
		}
		p.NominalX(names...)
		p.Y.Min = 6 // 1 ms
		headroom(p)
		plots = append(plots, p)
	}
	if len(plots) == 0 {
		return fmt.Errorf("bench: nothing to chart")
	}
	const w, h = 15 * vg.Centimeter, 12 * vg.Centimeter
	img := vgimg.New(w*vg.Length(len(plots)), h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Centimeter, PadTop: vg.Millimeter * 4, PadBottom: vg.Millimeter * 4, PadLeft: vg.Millimeter * 4, PadRight: vg.Millimeter * 4}
	row := [][]*plot.Plot{plots}
	canvases := plot.Align(row, tiles, dc)
	for j, p := range plots {
		p.Draw(canvases[0][j])
	}
	return writePNG(img, path)
}

// groupedBars adds in-process and sidecar bars side by side, with a legend.
func groupedBars(p *plot.Plot, in, sc plotter.Values) error {
	w := vg.Points(16)
	bi, err := plotter.NewBarChart(in, w)
	if err != nil {
		return err
	}
	bs, err := plotter.NewBarChart(sc, w)
	if err != nil {
		return err
	}
	bi.Color, bs.Color = colorInProcess, colorSidecar
	bi.LineStyle.Width, bs.LineStyle.Width = 0, 0
	bi.Offset, bs.Offset = -w/2, w/2
	p.Add(bi, bs)
	p.Legend.Add("in-process (parsec)", bi)
	p.Legend.Add("sidecar (parsecd)", bs)
	p.Legend.Top = true
	return nil
}

func shortName(s string) string {
	switch s {
	case "sidecar, keep-alive":
		return "sidecar keep-alive"
	case "sidecar, new connection":
		return "sidecar new conn"
	case "SDK GetParameter, no cache":
		return "SDK, no cache"
	}
	return s
}

// headroom leaves a decade above the tallest bar for the legend.
func headroom(p *plot.Plot) { p.Y.Max = math.Ceil(p.Y.Max) + 1 }
