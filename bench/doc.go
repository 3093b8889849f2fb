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
//	cd bench && go run ./cmd/report -quick   # every section, 20-40 s of measuring
//	cd bench && go run ./cmd/report          # full, ~2 min 20 s of measuring
//
// after building the executables (minutes on a fresh machine: the AWS SDK
// compiles first). The report goes to out/, which git does not track;
// -publish also updates RESULTS.md and chart.png. docs/benchmarks.md has
// the measured durations. The micro-benchmarks run with go test -bench .
// in this directory.
//
// Every figure is the median of repeated runs with its spread. Absolute
// times vary between machines; the ratios measured side by side in one run
// hold better.
package bench
