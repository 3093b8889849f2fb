package bench

import (
	"context"
	"os"
	"path/filepath"
)

// The tracked copies of the latest report, in the bench module's root:
// what docs/benchmarks.md shows.
const (
	PublishedReport = "RESULTS.md"
	PublishedChart  = "chart.png"
)

// Report runs every section ([Run]) and writes report.md and chart.png into
// dir ([Results.Write]). It returns the Markdown and the paths it wrote. It
// never touches the tracked RESULTS.md and chart.png: [Publish] does.
func Report(ctx context.Context, cfg Config, dir string) (md string, written []string, err error) {
	r, err := Run(ctx, cfg)
	if err != nil {
		return "", nil, err
	}
	written, err = r.Write(dir)
	if err != nil {
		return "", nil, err
	}
	return r.Markdown(), written, nil
}

// Write writes report.md and chart.png into dir, creating it, and returns
// their paths.
func (r *Results) Write(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	report := filepath.Join(dir, "report.md")
	if err := os.WriteFile(report, []byte(r.Markdown()), 0o644); err != nil {
		return nil, err
	}
	chart := filepath.Join(dir, "chart.png")
	if err := WriteChart(r, chart); err != nil {
		return nil, err
	}
	return []string{report, chart}, nil
}

// Publish copies report.md and chart.png from dir to [PublishedReport] and
// [PublishedChart] in root (the bench module's directory), the tracked
// files the documentation links to. It returns the paths it wrote.
func Publish(dir, root string) ([]string, error) {
	var written []string
	for _, f := range []struct{ from, to string }{{"report.md", PublishedReport}, {"chart.png", PublishedChart}} {
		b, err := os.ReadFile(filepath.Join(dir, f.from))
		if err != nil {
			return written, err
		}
		to := filepath.Join(root, f.to)
		if err := os.WriteFile(to, b, 0o644); err != nil {
			return written, err
		}
		written = append(written, to)
	}
	return written, nil
}
