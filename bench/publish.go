package bench

import (
	"context"
	"os"
	"path/filepath"
)

// Report runs every section, writes report.md and chart.png into dir and,
// when publish is true, copies them to RESULTS.md and chart.png in the
// current directory (the bench module's root). It returns the Markdown.
func Report(ctx context.Context, cfg Config, dir string, publish bool) (string, error) {
	r, err := Run(ctx, cfg)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	md := r.Markdown()
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(md), 0o644); err != nil {
		return "", err
	}
	chart := filepath.Join(dir, "chart.png")
	if err := WriteChart(r, chart); err != nil {
		return "", err
	}
	if publish {
		if err := os.WriteFile("RESULTS.md", []byte(md), 0o644); err != nil {
			return "", err
		}
		b, err := os.ReadFile(chart)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile("chart.png", b, 0o644); err != nil {
			return "", err
		}
	}
	return md, nil
}
