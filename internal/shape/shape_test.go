package shape

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

const (
	maxLines      = 60
	maxComplexity = 15
)

// The directories checked, from the repository's root.
var dirs = []string{"cache", "source", "httpcompat", "sdkcache", "cmd/parsecd"} // not source/sourcetest, a test fake

func TestSmallFunctions(t *testing.T) {
	fset := token.NewFileSet()
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join("..", "..", dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files (%v)", dir, err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, file, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				pos := fset.Position(fd.Pos())
				if n := fset.Position(fd.End()).Line - pos.Line + 1; n > maxLines {
					t.Errorf("%s:%d: %s is %d lines; at most %d", filepath.Join(dir, filepath.Base(file)), pos.Line, fd.Name.Name, n, maxLines)
				}
				if c := complexity(fd); c > maxComplexity {
					t.Errorf("%s:%d: %s has cyclomatic complexity %d; at most %d", filepath.Join(dir, filepath.Base(file)), pos.Line, fd.Name.Name, c, maxComplexity)
				}
			}
		}
	}
}

// complexity is gocyclo's count: 1, plus one for each if, for, range,
// non-default case and select case, and each && and ||.
func complexity(fd *ast.FuncDecl) int {
	n := 1
	ast.Inspect(fd, func(node ast.Node) bool {
		switch x := node.(type) {
		case *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt:
			n++
		case *ast.CaseClause:
			if x.List != nil {
				n++
			}
		case *ast.CommClause:
			if x.Comm != nil {
				n++
			}
		case *ast.BinaryExpr:
			if x.Op == token.LAND || x.Op == token.LOR {
				n++
			}
		}
		return true
	})
	return n
}

// The count agrees with gocyclo's on a function of known complexity, and
// the check would catch parseConfig as it was (complexity 47).
func TestComplexityCount(t *testing.T) {
	src := `package p
func f(a, b bool, c chan int, xs []int) {
	if a && b || a {}
	for i := 0; i < 1; i++ {}
	for range xs {}
	switch { case a: case b: default: }
	select { case <-c: default: }
}`
	f, err := parser.ParseFile(token.NewFileSet(), "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := complexity(f.Decls[0].(*ast.FuncDecl)); got != 9 {
		t.Errorf("complexity = %d; want 9 (1 + if + && + || + for + range + 2 cases + 1 select case)", got)
	}
}
