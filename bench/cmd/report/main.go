// Command report measures parsec's in-process cache against a sidecar
// (parsecd in a separate process) and writes report.md and chart.png into
// out/ (not tracked by git). With -publish it also copies them to the
// tracked RESULTS.md and chart.png that the documentation shows. Run it
// from the bench directory:
//
//	go run ./cmd/report -quick   # every section, fewer repetitions
//	go run ./cmd/report          # full
//	go run ./cmd/report -publish # full, then update RESULTS.md and chart.png
//
// docs/benchmarks.md says how long each takes. Progress goes to stderr; the
// report is printed on stdout.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/parsec-go/parsec/bench"
)

func main() {
	quick := flag.Bool("quick", false, "fewer repetitions and smaller fleets: every section, in less time, with noisier figures")
	out := flag.String("out", "out", "`directory` for report.md and chart.png (the default, out/, is not tracked by git)")
	publish := flag.Bool("publish", false, "also copy the report and chart to the tracked "+bench.PublishedReport+" and "+bench.PublishedChart+" in the current directory")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "report: unexpected argument %q (flags only)\n", flag.Arg(0))
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	md, written, err := bench.Report(ctx, bench.Config{Quick: *quick, Progress: os.Stderr}, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Print(md)
	fmt.Fprintf(os.Stderr, "bench: wrote %s (%v in all, building included)\n", strings.Join(written, " and "), time.Since(start).Round(time.Second))
	if !*publish {
		fmt.Fprintf(os.Stderr, "bench: %s and %s are unchanged; -publish copies the report there\n", bench.PublishedReport, bench.PublishedChart)
		return
	}
	pub, err := bench.Publish(*out, ".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "report: publish:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "bench: published %s\n", strings.Join(pub, " and "))
}
