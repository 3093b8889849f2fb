package readme

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// imports maps the package names snippets may use without importing them
// to their import paths.
var imports = map[string]string{
	"context":        "context",
	"errors":         "errors",
	"fmt":            "fmt",
	"log":            "log",
	"slog":           "log/slog",
	"os":             "os",
	"time":           "time",
	"testing":        "testing",
	"http":           "net/http",
	"aws":            "github.com/aws/aws-sdk-go-v2/aws",
	"config":         "github.com/aws/aws-sdk-go-v2/config",
	"ssm":            "github.com/aws/aws-sdk-go-v2/service/ssm",
	"secretsmanager": "github.com/aws/aws-sdk-go-v2/service/secretsmanager",
	"types":          "github.com/aws/aws-sdk-go-v2/service/ssm/types",
	"smithy":         "github.com/aws/smithy-go",
	"lambda":         "github.com/aws/aws-lambda-go/lambda",
	"cache":          "github.com/parsec-go/parsec/cache",
	"source":         "github.com/parsec-go/parsec/source",
	"sourcetest":     "github.com/parsec-go/parsec/source/sourcetest",
	"httpcompat":     "github.com/parsec-go/parsec/httpcompat",
	"sdkcache":       "github.com/parsec-go/parsec/sdkcache",
	"resolve":        "github.com/parsec-go/parsec/resolve",
}

// snippet is one ```go block of README.md or of a page in docs/.
type snippet struct {
	file      string // the Markdown file, relative to the repository's root
	line      int    // the file's line of the opening fence, 1-based
	code      string // the block's text
	given     string // declarations from the go-snippet comment
	dir       string // dir= from the comment, else ""
	parseOnly string // the reason given after parse-only= in the comment
}

var (
	fenceRE    = regexp.MustCompile("(?s)(?:<!--[ \\t]*go-snippet([^\\n]*?)(?:-->|\\n(.*?)-->)\\s*\\n)?```go\\n(.*?)\\n```")
	dirRE      = regexp.MustCompile(`\bdir=([A-Za-z0-9_]+)`)
	testFuncRE = regexp.MustCompile(`(?m)^func Test[A-Z0-9_]`)
	parseRE    = regexp.MustCompile(`\bparse-only=(.*?)\s*$`)
	importRE   = regexp.MustCompile(`^import\s+("[^"]+")\s*(//.*)?$`)
)

// snippets returns the Go blocks of readme, the text of the Markdown
// file named file.
func snippets(file, readme string) []snippet {
	var out []snippet
	for _, m := range fenceRE.FindAllStringSubmatchIndex(readme, -1) {
		s := snippet{file: file, line: strings.Count(readme[:m[6]], "\n"), code: readme[m[6]:m[7]]}
		if m[2] >= 0 {
			if d := dirRE.FindStringSubmatch(readme[m[2]:m[3]]); d != nil {
				s.dir = d[1]
			}
			if r := parseRE.FindStringSubmatch(readme[m[2]:m[3]]); r != nil {
				s.parseOnly = r[1]
			}
			if m[4] >= 0 {
				s.given = readme[m[4]:m[5]]
			}
		}
		out = append(out, s)
	}
	return out
}

// goFile turns a snippet into a Go file: its package clause, imports and,
// for statements, the function around them.
func (s snippet) goFile() (string, error) {
	// A //line directive makes the compiler's positions the Markdown file's.
	code := fmt.Sprintf("//line %s:%d\n%s", s.file, s.line+1, s.code)
	if s.complete() {
		return code + "\n", nil
	}
	// Single-line import declarations in a fragment move to the top; an
	// empty line keeps the place, so that positions stay right.
	var paths []string
	lines := strings.Split(s.code, "\n")
	for i, l := range lines {
		if m := importRE.FindStringSubmatch(l); m != nil {
			paths = append(paths, strings.Trim(m[1], `"`))
			lines[i] = ""
		}
	}
	s.code = strings.Join(lines, "\n")
	code = fmt.Sprintf("//line %s:%d\n%s", s.file, s.line+1, s.code)
	fset := token.NewFileSet()
	src := "package main\n\n" + s.given + "\n" + code + "\n"
	f, err := parser.ParseFile(fset, "snippet.go", src, 0)
	if err != nil { // statements, not declarations
		body, berr := parser.ParseFile(fset, "body.go", "package main\nfunc _() {\n"+s.code+"\n}\n", 0)
		if berr != nil {
			return "", fmt.Errorf("neither declarations (%v) nor statements (%v)", err, berr)
		}
		var uses []string
		for _, st := range body.Decls[0].(*ast.FuncDecl).Body.List {
			uses = append(uses, declared(st)...)
		}
		src = "package main\n\n" + s.given + "\n\nfunc snippet() {\n" + code + "\n"
		for _, v := range uses {
			src += "\t_ = " + v + "\n"
		}
		src += "}\n"
		if f, err = parser.ParseFile(fset, "snippet.go", src, 0); err != nil {
			return "", err
		}
	}
	for _, id := range f.Unresolved {
		if p, ok := imports[id.Name]; ok && !slices.Contains(paths, p) && usedAsPackage(f, id) {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	if len(paths) > 0 {
		imp := "import (\n"
		for _, p := range paths {
			imp += "\t" + fmt.Sprintf("%q", p) + "\n"
		}
		src = strings.Replace(src, "package main\n", "package main\n\n"+imp+")\n", 1)
	}
	return src, nil
}

// complete reports whether the block is a whole Go file: it starts, after
// comments, with a package clause.
func (s snippet) complete() bool {
	return strings.HasPrefix(strings.TrimSpace(stripComments(s.code)), "package ")
}

// declared returns the names a top-level statement declares.
func declared(st ast.Stmt) []string {
	var names []string
	switch st := st.(type) {
	case *ast.AssignStmt:
		if st.Tok == token.DEFINE {
			for _, e := range st.Lhs {
				if id, ok := e.(*ast.Ident); ok && id.Name != "_" {
					names = append(names, id.Name)
				}
			}
		}
	case *ast.DeclStmt:
		if g, ok := st.Decl.(*ast.GenDecl); ok && g.Tok == token.VAR {
			for _, sp := range g.Specs {
				for _, id := range sp.(*ast.ValueSpec).Names {
					if id.Name != "_" {
						names = append(names, id.Name)
					}
				}
			}
		}
	}
	return names
}

// usedAsPackage reports whether id is the X of a selector expression.
func usedAsPackage(f *ast.File, id *ast.Ident) bool {
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && sel.X == id {
			found = true
		}
		return !found
	})
	return found
}

// stripComments drops leading // comment lines and blank lines.
func stripComments(code string) string {
	for {
		code = strings.TrimLeft(code, " \t\n")
		if !strings.HasPrefix(code, "//") {
			return code
		}
		_, code, _ = strings.Cut(code, "\n")
	}
}

// docFiles returns README.md and every docs/*.md of the repository at
// root, relative to it.
func docFiles(t *testing.T, root string) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"README.md"}
	for _, p := range pages {
		files = append(files, filepath.Join("docs", filepath.Base(p)))
	}
	return files
}

// allSnippets returns the Go blocks of every file of docFiles.
func allSnippets(t *testing.T, root string) []snippet {
	t.Helper()
	var all []snippet
	for _, f := range docFiles(t, root) {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, snippets(f, string(b))...)
	}
	return all
}

// pkgName turns a Markdown file's name into part of a package directory.
var pkgNameRE = regexp.MustCompile(`[^A-Za-z0-9]+`)

func pkgName(file string) string {
	return strings.ToLower(pkgNameRE.ReplaceAllString(strings.TrimSuffix(file, ".md"), "_"))
}

// TestREADMEBlocksAreFiles: every Go block of README.md is a complete
// file, with its package clause and imports, so that it works as pasted
// (no goimports needed); TestSnippetsCompile builds them as they are.
// Blocks in docs/ may be fragments.
func TestREADMEBlocksAreFiles(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	all := snippets("README.md", string(b))
	if len(all) == 0 {
		t.Fatal("no ```go block in README.md")
	}
	for _, s := range all {
		if s.parseOnly != "" {
			continue
		}
		if err := checkFile(s); err != nil {
			t.Error(err)
		}
	}
}

// checkFile returns an error unless s is a complete Go file.
func checkFile(s snippet) error {
	if !s.complete() {
		return fmt.Errorf("%s:%d: a Go block of the README must be a whole file, with its package clause and imports, so that it works as pasted", s.file, s.line)
	}
	if _, err := parser.ParseFile(token.NewFileSet(), s.file, s.code, parser.ImportsOnly); err != nil {
		return fmt.Errorf("%s:%d: %v", s.file, s.line, err)
	}
	return nil
}

// TestSnippetsCompile builds every Go block of README.md and docs/*.md in
// a temporary module outside this one and runs those holding tests.
func TestSnippetsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the snippets of the README and docs/ (a few seconds with a warm build cache); skipped under -short")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	all := allSnippets(t, root)
	mod := t.TempDir()
	var testPkgs []string
	lines := map[string][]string{} // package dir → file:line of its blocks, for the failure message
	for i, s := range all {
		if s.file == "README.md" && s.parseOnly == "" {
			if err := checkFile(s); err != nil {
				t.Error(err) // built all the same: the compiler says more
			}
		}
		src, err := s.goFile()
		if err != nil {
			t.Errorf("%s:%d: the Go snippet does not parse: %v", s.file, s.line, err)
			continue
		}
		if s.parseOnly != "" { // parsed above; not built
			t.Logf("%s:%d: parsed, not built: %s", s.file, s.line, s.parseOnly)
			continue
		}
		dir := fmt.Sprintf("%s_%02d", pkgName(s.file), i+1)
		if s.dir != "" {
			dir = pkgName(s.file) + "_" + s.dir
		}
		name := fmt.Sprintf("line%d.go", s.line)
		isTest := testFuncRE.MatchString(s.code)
		if isTest {
			name = fmt.Sprintf("line%d_test.go", s.line)
			if !slices.Contains(testPkgs, "./"+dir) {
				testPkgs = append(testPkgs, "./"+dir)
			}
		}
		lines[dir] = append(lines[dir], fmt.Sprintf("%s:%d", s.file, s.line))
		if err := os.MkdirAll(filepath.Join(mod, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mod, dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.ContainsFunc(testPkgs, func(d string) bool { return strings.HasPrefix(d, "./readme_") }) {
		t.Error("README.md has no Go block holding a test: the quick start shows the handler's test")
	}
	// package main needs one func main among its non-test files.
	for dir := range lines {
		if err := ensureMain(filepath.Join(mod, dir)); err != nil {
			t.Fatal(err)
		}
	}
	writeModule(t, root, mod)

	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("go %s in the snippets' module: %v\n%s\n(the snippets' package directories and their blocks: %v)",
				strings.Join(args, " "), err, out, lines)
		}
	}
	run("vet", "./...")
	if !t.Failed() && len(testPkgs) > 0 {
		run(append([]string{"test", "-count=1"}, testPkgs...)...)
	}
}

// ensureMain adds main.go with an empty func main to a package main
// directory whose non-test files lack one.
func ensureMain(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return err
	}
	isMain, hasMain := false, false
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if regexp.MustCompile(`(?m)^package main\b`).Match(b) {
			isMain = true
		}
		if !strings.HasSuffix(f, "_test.go") && regexp.MustCompile(`(?m)^func main\(\)`).Match(b) {
			hasMain = true
		}
	}
	if !isMain || hasMain {
		return nil
	}
	return os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
}

var lambdaVersionRE = regexp.MustCompile(`(?m)^(?:require)?\s*github.com/aws/aws-lambda-go (v\S+)`)

// writeModule writes the snippets' go.mod (parsec through a replace
// directive to the checkout at root, aws-lambda-go at the version the
// repository's example function, examples/lambda, uses) and a go.sum from the
// repository's, so that nothing needs the network when the module cache
// has the modules already.
func writeModule(t *testing.T, root, mod string) {
	t.Helper()
	fn := filepath.Join(root, "examples", "lambda")
	gm, err := os.ReadFile(filepath.Join(fn, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	v := lambdaVersionRE.FindSubmatch(gm)
	if v == nil {
		t.Fatalf("%s/go.mod names no aws-lambda-go version", fn)
	}
	goMod := fmt.Sprintf("module readmesnippets\n\ngo 1.26.0\n\nrequire (\n\tgithub.com/parsec-go/parsec v0.0.0-00010101000000-000000000000\n\tgithub.com/aws/aws-lambda-go %s\n)\n\nreplace github.com/parsec-go/parsec => %s\n", v[1], root)
	var sum []byte
	for _, f := range []string{filepath.Join(root, "go.sum"), filepath.Join(fn, "go.sum")} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sum = append(sum, b...)
	}
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte(goMod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
}
