// Package bench measures parsec's in-process cache against the sidecar
// design of the AWS Parameters and Secrets Lambda Extension, side by side on
// one machine, and writes a Markdown report with a chart.
//
// The sidecar is parsecd (cmd/parsecd) run as a separate process on
// loopback: it stands in for AWS's extension, which runs only inside Lambda.
// The upstream is source/sourcetest, a wire-level fake of SSM and Secrets
// Manager on 127.0.0.1, with simulated latency; nothing reaches AWS.
//
// Run everything with
//
//	cd bench && go run ./cmd/report          # full, under 5 minutes on 2 cores
//	cd bench && go run ./cmd/report -quick   # every section, under 60 s
//
// or the micro-benchmarks with go test -bench . in this directory.
//
// Every figure is the median of repeated runs with its spread. Absolute
// times vary between machines; the ratios measured side by side in one run
// hold better.
package bench
