package sdkcache_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// snippetImports are what the README's snippets may use without importing
// it themselves. Unused ones are fine: the build ignores that error.
var snippetImports = []string{
	"context", "net/http", "os", "time",
	"github.com/aws/aws-sdk-go-v2/aws", "github.com/aws/aws-sdk-go-v2/service/ssm",
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager",
	"github.com/parsec-go/parsec/cache", "github.com/parsec-go/parsec/source",
	"github.com/parsec-go/parsec/sdkcache", "github.com/parsec-go/parsec/httpcompat",
}

// readmeSnippets returns the Go blocks of docs/migrating.md (the README's
// former "Migrating to parsec" section) that follow a paragraph starting
// with "After".
func readmeSnippets(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", "migrating.md"))
	if err != nil {
		t.Fatal(err)
	}
	sec := string(b)
	var blocks []string
	var cur []string
	in, after, last, blank := false, false, "", true // last: the first line of the latest paragraph
	for _, line := range strings.Split(sec, "\n") {
		switch {
		case !in && strings.HasPrefix(line, "```go"):
			in, after, cur = true, strings.HasPrefix(last, "After"), nil
		case in && strings.HasPrefix(line, "```"):
			in = false
			if after {
				blocks = append(blocks, strings.Join(cur, "\n"))
			}
		case in:
			cur = append(cur, line)
		case strings.TrimSpace(line) == "":
			blank = true
		case blank:
			last, blank = line, false
		}
	}
	return blocks
}

// TestMigrationSnippets compiles each "after" snippet of docs/migrating.md as the body of a function that has ctx and cfg, with
// its own import lines hoisted. Unused variables and imports are the only
// errors allowed (a snippet shows calls, not what is done with their
// results).
func TestMigrationSnippets(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the snippets")
	}
	snippets := readmeSnippets(t)
	if len(snippets) != 4 {
		t.Fatalf("found %d after-snippets in docs/migrating.md; want 4 (extension, caching library, Powertools, SDK)", len(snippets))
	}
	imports := slices.Clone(snippetImports)
	var bodies strings.Builder
	for i, s := range snippets {
		fmt.Fprintf(&bodies, "\nfunc snippet%d(ctx context.Context, cfg aws.Config) {\n", i)
		for _, line := range strings.Split(s, "\n") {
			if rest, ok := strings.CutPrefix(line, "import "); ok {
				path := strings.Trim(strings.Fields(rest)[0], `"`)
				if !slices.Contains(imports, path) {
					imports = append(imports, path)
				}
				continue
			}
			bodies.WriteString(line + "\n")
		}
		bodies.WriteString("}\n")
	}
	var src strings.Builder
	src.WriteString("package readme\n\nimport (\n")
	for _, p := range imports {
		fmt.Fprintf(&src, "\t%q\n", p)
	}
	src.WriteString(")\n\n// Config is the snippets' own type for typed reads.\ntype Config struct{ Name string }\n")
	src.WriteString(bodies.String())

	tmp := t.TempDir()
	gen := filepath.Join(tmp, "snippets.go")
	if err := os.WriteFile(gen, []byte(src.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "readme"))
	if err != nil {
		t.Fatal(err)
	}
	ov, _ := json.Marshal(map[string]any{"Replace": map[string]string{filepath.Join(dir, "snippets.go"): gen}})
	ovFile := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovFile, ov, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goTool(t), "build", "-overlay", ovFile, "-gcflags=-e", "-o", os.DevNull, "./testdata/readme")
	out, _ := cmd.CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" || strings.HasPrefix(line, "#") || strings.Contains(line, "declared and not used") ||
			strings.Contains(line, "imported and not used") {
			continue
		}
		t.Errorf("README snippet does not compile: %s", line)
	}
	if t.Failed() {
		t.Logf("generated source:\n%s", src.String())
	}
}

// goTool returns the go command that runs this test: the one on PATH.
func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH: %v", err)
	}
	return p
}
