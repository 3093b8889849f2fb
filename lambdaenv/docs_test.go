package lambdaenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsAgreeWithTable: every Markdown table row of the README and of
// docs/ that documents one of the variables gives the default the parser
// applies, the range it accepts (in an "Accepted" column) and, where its
// meaning column says what 0 means, what 0 means in code (issue 23:
// *_TIMEOUT_MILLIS=0 is bounded by the load timeout, not unbounded). Every
// variable is documented at least once.
func TestDocsAgreeWithTable(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "README.md"))
	vars := map[string]Var{}
	for _, v := range Table() {
		vars[v.Name] = v
	}
	documented := map[string]bool{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range tableRows(string(data)) {
			v, ok := vars[strings.Trim(row.cells[0], "`")]
			if !ok {
				continue
			}
			documented[v.Name] = true
			checkRow(t, file, row, v)
		}
	}
	for name := range vars {
		if !documented[name] {
			t.Errorf("no table row of README.md or docs/*.md documents %s", name)
		}
	}
}

func checkRow(t *testing.T, file string, row tableRow, v Var) {
	t.Helper()
	for i, h := range row.header {
		if i >= len(row.cells) {
			break
		}
		cell := row.cells[i]
		switch h := strings.ToLower(h); {
		case h == "default":
			if cell != "`"+v.Default+"`" {
				t.Errorf("%s: %s's default is %s; the parser's is `%s`", file, v.Name, cell, v.Default)
			}
		case h == "accepted":
			norm := strings.NewReplacer("`", "", ",", "", "/", "|").Replace(cell)
			if !strings.Contains(norm, v.Range) {
				t.Errorf("%s: %s accepts %q; the parser accepts %s", file, v.Name, cell, v.Range)
			}
		case strings.HasPrefix(h, "meaning"):
			if strings.Contains(cell, "0 =") && (v.Zero == "" || !strings.Contains(cell, "0 = "+v.Zero)) {
				t.Errorf("%s: %s's meaning %q; in code 0 means %q", file, v.Name, cell, v.Zero)
			}
		}
	}
}

// tableRow is one body row of a Markdown table, with its table's header.
type tableRow struct {
	header, cells []string
}

// tableRows returns the body rows of the Markdown tables in doc.
func tableRows(doc string) []tableRow {
	var (
		rows   []tableRow
		header []string
		inBody bool
	)
	for line := range strings.Lines(doc) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			header, inBody = nil, false
			continue
		}
		cells := splitRow(line)
		switch {
		case header == nil:
			header = cells
		case !inBody: // the |---| line
			inBody = true
		default:
			rows = append(rows, tableRow{header: header, cells: cells})
		}
	}
	return rows
}

func splitRow(line string) []string {
	parts := strings.Split(strings.Trim(line, "|"), "|")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}
