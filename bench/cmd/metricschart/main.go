// Command metricschart draws what a user of metrics/emf sees in CloudWatch:
// it runs a parsec cache against an in-process fake of SSM
// (source/sourcetest) through a short scenario (warm-up, steady reads, an
// upstream outage served stale, recovery), writes one real EMF line per
// interval with metrics/emf, then decodes those lines and plots each
// metric's value per interval, as CloudWatch's Sum per period would. Run it
// from the bench directory:
//
//	go run ./cmd/metricschart              # writes out/metrics-emf.png (not tracked by git)
//	go run ./cmd/metricschart -publish     # writes ../docs/metrics-emf.png, the one docs/metrics.md shows
//	go run ./cmd/metricschart -lines x.log # also keeps the EMF lines
//
// It takes about 12 seconds of real time; no AWS account.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/color"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/metrics/emf"
	"github.com/parsec-go/parsec/source/sourcetest"
)

const (
	keys        = 40
	readsPerTic = 300
	tic         = 250 * time.Millisecond
	tics        = 48
	outageFrom  = 16 // the upstream fails from this interval...
	outageTo    = 30 // ...to this one (exclusive)
)

func main() {
	out := flag.String("out", "out/metrics-emf.png", "the PNG to write (the default, under out/, is not tracked by git)")
	publish := flag.Bool("publish", false, "write the tracked "+published+" instead of -out")
	keep := flag.String("lines", "", "also write the EMF lines to this file")
	flag.Parse()
	if *publish {
		*out = published
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "metricschart:", err)
		os.Exit(1)
	}
	if err := run(*out, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "metricschart:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "metricschart: wrote %s\n", *out)
}

// published is the chart docs/metrics.md shows, from the bench directory.
const published = "../docs/metrics-emf.png"

func run(out, keep string) error {
	srv := sourcetest.NewServer()
	defer srv.Close()
	for i := range keys {
		srv.PutParameter(sourcetest.Parameter{Name: "/app/p" + strconv.Itoa(i), Value: "v"})
	}
	c, err := cache.New(srv.Clients(), cache.WithTTL(2*time.Second), cache.WithMaxStale(time.Minute), cache.WithBackoff(200*time.Millisecond, time.Second))
	if err != nil {
		return err
	}
	defer c.Close()

	var lines bytes.Buffer
	w, err := emf.New(&lines, "MyApp", emf.WithDimension("FunctionName", "orders"))
	if err != nil {
		return err
	}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	var remove func()
	for t := range tics {
		switch t {
		case outageFrom:
			remove = srv.Inject(sourcetest.Fault{Code: "InternalServerError"})
		case outageTo:
			remove()
		}
		end := time.Now().Add(tic)
		for range readsPerTic {
			_, _ = c.Parameter(ctx, cache.ParameterRequest{Name: "/app/p" + strconv.Itoa(rng.IntN(keys))})
		}
		time.Sleep(time.Until(end))
		if err := w.Write(c.Stats()); err != nil {
			return err
		}
	}
	if keep != "" {
		if err := os.WriteFile(keep, lines.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return chart(lines.Bytes(), out)
}

// series are the metrics plotted, by panel.
var panels = []struct {
	title  string
	series []string
}{
	{"reads per 250 ms interval", []string{"Hits", "Misses", "StaleServes"}},
	{"upstream calls per 250 ms interval", []string{"Loads", "LoadErrors"}},
}

var colors = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
}

// chart decodes the EMF lines and plots each panel's metrics per line.
func chart(lines []byte, path string) error {
	var docs []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(lines))
	for sc.Scan() {
		var d map[string]any
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return fmt.Errorf("EMF line %q: %w", sc.Bytes(), err)
		}
		docs = append(docs, d)
	}
	var plots []*plot.Plot
	for _, pn := range panels {
		p := plot.New()
		p.Title.Text = "CloudWatch namespace MyApp, FunctionName=orders: " + pn.title
		p.X.Label.Text = "seconds (upstream failing from 4 s to 7.5 s)"
		p.Y.Label.Text = "Sum"
		p.Legend.Top = true
		for i, name := range pn.series {
			pts := make(plotter.XYs, len(docs))
			for j, d := range docs {
				v, _ := d[name].(float64)
				pts[j] = plotter.XY{X: float64(j+1) * tic.Seconds(), Y: v}
			}
			l, err := plotter.NewLine(pts)
			if err != nil {
				return err
			}
			l.Color, l.Width = colors[i], vg.Points(1.5)
			if i == 2 {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			}
			p.Add(l)
			p.Legend.Add(name, l)
		}
		p.Add(plotter.NewGrid())
		p.Y.Min, p.Y.Max = 0, p.Y.Max*1.4 // room for the legend
		plots = append(plots, p)
	}
	const w, h = 16 * vg.Centimeter, 7 * vg.Centimeter
	img := vgimg.New(w, h*vg.Length(len(plots)))
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadY: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	col := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		col[i] = []*plot.Plot{p}
	}
	canvases := plot.Align(col, tiles, draw.New(img))
	for i, p := range plots {
		p.Draw(canvases[i][0])
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
