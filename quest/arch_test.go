package quest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// module is the import path every project package starts with.
const module = "github.com/questgate/questgate/"

// layerRules are the import rules of the architecture (README,
// "Architecture"): the domain at the centre imports no adapter, the adapters do
// not import each other, and the HTTP layer speaks only to the domain.
// Each rule is checked on every dependency, direct or not, so that no
// rule is broken through a third package.
var layerRules = []struct {
	pkg       string
	forbidden []string
	why       string
}{
	{"quest", []string{"store", "verifier", "sandbox", "handlers", "templates", "webhook", "metrics"},
		"the domain declares the interfaces it needs and imports no adapter"},
	{"store", []string{"verifier"}, "store and verifier are sibling adapters of quest"},
	{"verifier", []string{"store"}, "store and verifier are sibling adapters of quest"},
	{"handlers", []string{"store", "verifier"}, "handlers speak to the domain; cmd/questgate passes the adapters in"},
	{"templates", []string{"store", "verifier"}, "templates render view values, never store rows"},
	{"metrics", []string{"verifier"}, "metrics counts quest's reasons"},
}

// listedPackage is what go list -json says of a package.
type listedPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// TestLayerImports proves the rules of layerRules with go list, and names
// the import chain that breaks one.
func TestLayerImports(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not in PATH")
	}
	cmd := exec.Command(goTool, "list", "-json=ImportPath,Imports,Deps", module+"...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]listedPackage{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list: %v", err)
		}
		pkgs[p.ImportPath] = p
	}
	for _, r := range layerRules {
		p, ok := pkgs[module+r.pkg]
		if !ok {
			t.Errorf("go list does not show package %s", r.pkg)
			continue
		}
		for _, f := range r.forbidden {
			if !slices.Contains(p.Deps, module+f) {
				continue
			}
			t.Errorf("%s must not import %s (%s), but it does: %s", r.pkg, f, r.why,
				strings.Join(importChain(pkgs, module+r.pkg, module+f), " → "))
		}
	}
}

// importChain returns a shortest chain of imports from one package to
// another, their paths shortened to the module's.
func importChain(pkgs map[string]listedPackage, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to {
			var chain []string
			for p := cur; p != ""; p = prev[p] {
				chain = append([]string{strings.TrimPrefix(p, module)}, chain...)
			}
			return chain
		}
		for _, imp := range pkgs[cur].Imports {
			if _, seen := prev[imp]; !seen {
				prev[imp] = cur
				queue = append(queue, imp)
			}
		}
	}
	return []string{strings.TrimPrefix(from, module), "…", strings.TrimPrefix(to, module)}
}
