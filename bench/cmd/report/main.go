// Command report measures parsec's in-process cache against a sidecar
// (parsecd in a separate process) and writes out/report.md and
// out/chart.png, then copies them to RESULTS.md and chart.png. Run it from
// the bench directory:
//
//	go run ./cmd/report          # full: under 5 minutes on 2 cores
//	go run ./cmd/report -quick   # every section, under a minute
//
// Progress goes to stderr; the report is printed on stdout.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/parsec-go/parsec/bench"
)

func main() {
	quick := flag.Bool("quick", false, "fewer repetitions and smaller fleets: every section in under a minute")
	out := flag.String("out", "out", "directory for report.md and chart.png")
	publish := flag.Bool("publish", true, "also copy the report and chart to RESULTS.md and chart.png")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	md, err := bench.Report(ctx, bench.Config{Quick: *quick, Progress: os.Stderr}, *out, *publish)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Print(md)
}
