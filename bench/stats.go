package bench

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Sample is a set of repeated measurements of one figure.
type Sample []float64

// Median returns the median, or NaN for an empty sample.
func (s Sample) Median() float64 { return s.Quantile(0.5) }

// Quantile returns the q-quantile (0 ≤ q ≤ 1) by linear interpolation, or
// NaN for an empty sample.
func (s Sample) Quantile(q float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	v := slices.Clone(s)
	slices.Sort(v)
	pos := q * float64(len(v)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return v[lo] + (v[hi]-v[lo])*(pos-float64(lo))
}

// Min returns the smallest value, or NaN.
func (s Sample) Min() float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	return slices.Min(s)
}

// Max returns the largest value, or NaN.
func (s Sample) Max() float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	return slices.Max(s)
}

// durations converts to a Sample of nanoseconds.
func durations(d []time.Duration) Sample {
	s := make(Sample, len(d))
	for i, x := range d {
		s[i] = float64(x)
	}
	return s
}

// fmtNs formats nanoseconds with a unit that keeps three significant digits.
func fmtNs(ns float64) string {
	switch {
	case math.IsNaN(ns):
		return "–"
	case ns < 1e3:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.3g µs", ns/1e3)
	case ns < 1e9:
		return fmt.Sprintf("%.3g ms", ns/1e6)
	default:
		return fmt.Sprintf("%.3g s", ns/1e9)
	}
}

// nsSpread formats a sample of nanoseconds as "median (min–max)".
func nsSpread(s Sample) string {
	if len(s) == 0 {
		return "–"
	}
	return fmt.Sprintf("%s (%s–%s)", fmtNs(s.Median()), fmtNs(s.Min()), fmtNs(s.Max()))
}

// numSpread formats a sample as "median (min–max)" with format f.
func numSpread(s Sample, f string) string {
	if len(s) == 0 {
		return "–"
	}
	return fmt.Sprintf(f+" ("+f+"–"+f+")", s.Median(), s.Min(), s.Max())
}

// si formats a count with k/M suffixes.
func si(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.3gk", v/1e3)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

// siSpread formats a sample as "median (min–max)" with si.
func siSpread(s Sample) string {
	if len(s) == 0 {
		return "–"
	}
	return fmt.Sprintf("%s (%s–%s)", si(s.Median()), si(s.Min()), si(s.Max()))
}
