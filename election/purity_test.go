package election_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// forbiddenImport reports whether a pure election package may not import path.
func forbiddenImport(path string) bool {
	switch path {
	case "net", "os", "syscall", "math/rand", "math/rand/v2", "crypto/rand", "unsafe":
		return true
	}
	for _, prefix := range []string{"net/", "os/", "golang.org/x/sys/"} {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return false
}

// forbiddenTime are the time functions that read or wait on the real clock.
var forbiddenTime = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"NewTimer": true, "Tick": true, "NewTicker": true, "AfterFunc": true,
}

// impurities lists every forbidden import and every use (call or value) of
// a forbidden time function in one parsed file.
func impurities(fset *token.FileSet, f *ast.File) []string {
	var bad []string
	timeNames := map[string]bool{}
	for _, imp := range f.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			bad = append(bad, fset.Position(imp.Pos()).String()+": bad import")
			continue
		}
		if forbiddenImport(path) {
			bad = append(bad, fset.Position(imp.Pos()).String()+": imports "+path)
		}
		if path == "time" {
			name := "time"
			if imp.Name != nil {
				name = imp.Name.Name
			}
			if name == "." {
				bad = append(bad, fset.Position(imp.Pos()).String()+": dot-imports time")
			}
			timeNames[name] = true
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); ok && timeNames[id.Name] && forbiddenTime[sel.Sel.Name] {
			bad = append(bad, fset.Position(sel.Pos()).String()+": uses time."+sel.Sel.Name)
		}
		return true
	})
	return bad
}

func TestPurity(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		require.NoError(t, err)
		f, err := parser.ParseFile(fset, name, src, 0)
		require.NoError(t, err)
		require.Empty(t, impurities(fset, f), "election must stay pure")
		checked++
	}
	require.GreaterOrEqual(t, checked, 3, "no package sources found")
}

// TestPurityCheckerCatches proves the checker can fail.
func TestPurityCheckerCatches(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want int
	}{
		{"clean", `package p; import "time"; func f(t time.Time) time.Time { return t.Add(time.Second) }`, 0},
		{"net", `package p; import _ "net"`, 1},
		{"netip", `package p; import _ "net/netip"`, 1},
		{"os", `package p; import _ "os"`, 1},
		{"syscall", `package p; import _ "syscall"`, 1},
		{"math/rand", `package p; import _ "math/rand"`, 1},
		{"math/rand/v2", `package p; import _ "math/rand/v2"`, 1},
		{"crypto/rand", `package p; import _ "crypto/rand"`, 1},
		{"now", `package p; import "time"; var _ = time.Now()`, 1},
		{"now value", `package p; import "time"; var f = time.Now`, 1},
		{"aliased", `package p; import tm "time"; func f() { tm.Sleep(1); <-tm.After(1) }`, 2},
		{"since until", `package p; import "time"; var a, b = time.Since(time.Time{}), time.Until(time.Time{})`, 2},
		{"timers", `package p; import "time"; func f() { time.NewTimer(1); time.Tick(1); time.AfterFunc(1, nil) }`, 3},
		{"dot", `package p; import . "time"; var _ = Now()`, 1},
		{"shadowed other pkg", `package p; import "strings"; var _ = strings.Repeat("", 1)`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "x.go", tt.src, 0)
			require.NoError(t, err)
			require.Len(t, impurities(fset, f), tt.want)
		})
	}
}
