package gocarp_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/gocarp/gocarp"

// allowed lists, for each library package, the packages of this module its
// non-test code may import: codec (wire) ← election ← group (carp) ← link
// ← daemon, with the transports and the OS glue beside the group, never
// above it.
var allowed = map[string][]string{
	"hmac":                    nil,
	"election":                nil,
	"transport":               nil,
	"transport/memnet":        {"transport"},
	"transport/afpacket":      {"transport"},
	"transport/transporttest": {"transport"},
	"arp":                     nil,
	"netif":                   nil,
	"wire":                    {"hmac"},
	"health":                  {"transport"},
	"carp":                    {"hmac", "election", "health", "transport", "wire"},
	"link":                    {"transport", "wire"},
	"carpnet":                 {"arp", "carp", "link", "netif", "transport", "transport/afpacket", "wire"},
}

// TestLayering keeps the layers visible: nothing below imports what is
// above it, and the library never imports internal/ or cmd/.
func TestLayering(t *testing.T) {
	imports := map[string][]string{} // package dir -> module-internal imports
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if rel, ok := strings.CutPrefix(p, module+"/"); ok && !slices.Contains(imports[dir], rel) {
				imports[dir] = append(imports[dir], rel)
			}
		}
		if _, ok := imports[dir]; !ok {
			imports[dir] = nil
		}
		return nil
	})
	require.NoError(t, err)
	for pkg := range allowed {
		require.Contains(t, imports, pkg, "package %s not found: update the table", pkg)
	}
	for dir, deps := range imports {
		if want, ok := allowed[dir]; ok {
			for _, d := range deps {
				require.Contains(t, want, d, "%s must not import %s", dir, d)
			}
			continue
		}
		// Everything else (cmd, internal, examples, scripts) sits on top;
		// but only cmd and internal may use internal packages.
		for _, d := range deps {
			if strings.HasPrefix(d, "internal/") && !strings.HasPrefix(dir, "internal/") && !strings.HasPrefix(dir, "cmd/") && !strings.HasPrefix(dir, "scripts/") {
				t.Errorf("%s imports %s: only the daemon's side may", dir, d)
			}
		}
	}
}

// TestPrometheusOnlyInCarpd keeps Prometheus out of the library and of
// everything but the daemon's command: the library reports through its
// own Stats (pull, no per-event cost) and carpd turns them into metrics.
// Test files count too: none outside cmd/carpd needs it.
func TestPrometheusOnlyInCarpd(t *testing.T) {
	fset := token.NewFileSet()
	var carpd bool // cmd/carpd does import it: the walk sees imports
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(p, "github.com/prometheus/") {
				continue
			}
			if dir == "cmd/carpd" {
				carpd = true
				continue
			}
			t.Errorf("%s imports %s: only cmd/carpd may use Prometheus", path, p)
		}
		return nil
	})
	require.NoError(t, err)
	require.True(t, carpd, "cmd/carpd imports no github.com/prometheus/ package: is the walk broken?")
}
