package bench

import (
	"fmt"
	"strings"
)

// Cost assumptions for section (g).
const (
	costReads     = 10           // cached reads per invocation
	costMemoryGB  = 1.0          // function memory setting
	costPerGBs    = 0.0000166667 // USD per GB-second, x86, us-east-1, first tier
	costPerMillon = 1e6          // invocations
)

// costLine returns the billed milliseconds and dollars saved per million
// invocations when each of costReads reads costs deltaNs less.
func costLine(deltaNs float64) (ms, usd float64) {
	ms = deltaNs * costReads / 1e6 * costPerMillon
	usd = ms / 1e3 * costMemoryGB * costPerGBs
	return ms, usd
}

func (r *Results) mdCost(b *strings.Builder) {
	if r.Hit == nil || len(r.Hit.Rows) < 3 {
		return
	}
	in := r.Hit.Rows[0].NsOp.Median()
	fmt.Fprintf(b, "## (g) Cost\n\nBilled Lambda time saved per million invocations when each invocation makes %d cached reads in process instead of through the sidecar, from the medians of (a). "+
		"Assumptions: every read is a hit; the function waits for each read (no overlap with other work); %.0f GB memory at $%.10f per GB-second (x86, us-east-1, first tier); "+
		"Lambda bills in 1 ms steps, so a saving below 1 ms per invocation shows up only on average, across invocations whose duration it pushes under a step. "+
		"The sidecar's own CPU time, which competes with the function's for the environment's vCPU, is not counted.\n\n", costReads, costMemoryGB, costPerGBs)
	b.WriteString("| sidecar connection | saved per read | billed ms saved per million invocations | USD per million invocations |\n|---|---|---|---|\n")
	for _, row := range r.Hit.Rows[1:3] {
		d := row.NsOp.Median() - in
		ms, usd := costLine(d)
		fmt.Fprintf(b, "| %s | %s | %s ms (%.0f s) | $%.4f |\n", strings.TrimPrefix(row.Name, "sidecar, "), fmtNs(d), si(ms), ms/1e3, usd)
	}
	b.WriteString("\nThe saving is small in money; it matters in latency-sensitive paths and at high read counts per invocation, and the larger gains are in (c), (d) and (f).\n\n")
}

// summaryLater returns the summary lines of sections (d)–(g).
func (r *Results) summaryLater() []summaryRow {
	var rows []summaryRow
	if c := r.ColdStart; c != nil {
		rows = append(rows, summaryRow{"(d) process start to first value", fmtNs(c.InProcess.Median()), fmtNs(c.Sidecar.Median()),
			ratio(c.Sidecar.Median(), c.InProcess.Median()) + " faster"})
	}
	if l := r.LambdaInit; l != nil && l.Skipped == "" {
		rows = append(rows, summaryRow{"(d) Lambda INIT under aws-lambda-rie, reading one parameter", fmtNs(l.InProcess.Median()), fmtNs(l.Sidecar.Median()),
			ratio(l.Sidecar.Median(), l.InProcess.Median()) + " faster"})
	}
	if m := r.Memory; m != nil {
		rows = append(rows, summaryRow{fmt.Sprintf("(e) RSS holding %d entries (function + sidecar)", memEntries),
			fmt.Sprintf("%.1f MiB", m.InProcess.Median()/1024), fmt.Sprintf("%.1f MiB", m.Sidecar.Median()/1024),
			fmt.Sprintf("%.1f MiB less", (m.Sidecar.Median()-m.InProcess.Median())/1024)})
	}
	if f := r.Fleet; f != nil {
		var biggest int
		for _, run := range f.Runs {
			biggest = max(biggest, run.Envs)
		}
		var ext, par *FleetRun
		for i := range f.Runs {
			if f.Runs[i].Envs == biggest {
				if f.Runs[i].Model == "extension" {
					ext = &f.Runs[i]
				} else {
					par = &f.Runs[i]
				}
			}
		}
		if ext != nil && par != nil {
			rows = append(rows, summaryRow{fmt.Sprintf("(f) %d environments × %d parameters at %d TPS: ready within INIT", biggest, fleetK, fleetTPS),
				fmt.Sprintf("%.0f of %d", par.Ready.Median(), biggest), fmt.Sprintf("%.0f of %d (extension model)", ext.Ready.Median(), biggest), ""})
			rows = append(rows, summaryRow{fmt.Sprintf("(f) %d environments: upstream calls answered ThrottlingException", biggest),
				fmt.Sprintf("%.0f", par.Throttled.Median()), fmt.Sprintf("%.0f", ext.Throttled.Median()), moreOrFewer(par.Throttled.Median(), ext.Throttled.Median())})
		}
	}
	if r.Hit != nil && len(r.Hit.Rows) >= 2 {
		ms, usd := costLine(r.Hit.Rows[1].NsOp.Median() - r.Hit.Rows[0].NsOp.Median())
		rows = append(rows, summaryRow{fmt.Sprintf("(g) billed time saved per million invocations, %d reads each (keep-alive)", costReads),
			"", "", fmt.Sprintf("%.0f s ($%.3f at 1 GB)", ms/1e3, usd)})
	}
	return rows
}

// moreOrFewer says how parsec's count compares with the extension model's:
// "1.29× more" or "1.71× fewer" (fewer is better).
func moreOrFewer(parsec, extension float64) string {
	if parsec > extension {
		return ratio(parsec, extension) + " more (parsec retries throttled batches with jitter until INIT's deadline)"
	}
	return ratio(extension, parsec) + " fewer"
}
