package main

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/tuhono/tuhono"

// goList returns, for every package of the module, its direct imports and
// its transitive dependencies (go list -deps).
func goList(t *testing.T) map[string][2][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \",\"}}|{{join .Deps \",\"}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string][2][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "|", 3)
		if len(parts) != 3 {
			continue
		}
		pkgs[parts[0]] = [2][]string{split(parts[1]), split(parts[2])}
	}
	if len(pkgs) < 8 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func rel(p string) string { return strings.TrimPrefix(strings.TrimPrefix(p, module), "/") }

func under(p string, dirs ...string) bool {
	r := rel(p)
	for _, d := range dirs {
		if r == d || strings.HasPrefix(r, d+"/") {
			return true
		}
	}
	return false
}

// DESIGN.md's arrows: cmd -> handlers -> models/<domain> -> models/db ->
// tenants, policy -> tenants; each framework confined to its layer.
func TestImportDirection(t *testing.T) {
	confined := []struct {
		lib   string
		where []string
	}{
		// policy's Casbin adapter (gorm-adapter) is the one documented
		// exception: it stores role links through GORM.
		{"gorm.io/", []string{"models", "policy"}},
		{"github.com/gofiber/fiber", []string{"handlers", "cmd"}},
		{"github.com/danielgtaylor/huma", []string{"handlers"}},
		{"github.com/casbin/", []string{"policy"}},
		{"github.com/stripe/stripe-go", []string{"models/billing", "handlers/webhooks"}},
	}
	for pkg, v := range goList(t) {
		imports, deps := v[0], v[1]
		for _, imp := range imports {
			for _, c := range confined {
				if strings.HasPrefix(imp, c.lib) && !under(pkg, c.where...) {
					t.Errorf("%s imports %s, which belongs only under %v", rel(pkg), imp, c.where)
				}
			}
		}
		for _, dep := range deps {
			if !strings.HasPrefix(dep, module+"/") {
				continue
			}
			switch {
			case under(pkg, "tenants"):
				t.Errorf("tenants is the leaf and may import nothing of ours; %s depends on %s", rel(pkg), rel(dep))
			case under(pkg, "policy") && !under(dep, "tenants", "policy", "models/fault"):
				t.Errorf("policy may depend only on tenants; %s depends on %s", rel(pkg), rel(dep))
			case under(pkg, "models") && under(dep, "handlers", "cmd"):
				t.Errorf("the domain never imports the HTTP layer; %s depends on %s", rel(pkg), rel(dep))
			case under(pkg, "models/db", "models/fault") && !under(pkg, "models/db/dbtest") &&
				under(dep, "models") && !under(dep, "models/db", "models/fault"):
				t.Errorf("models/db sits below the domain packages; %s depends on %s", rel(pkg), rel(dep))
			case under(pkg, "handlers") && under(dep, "cmd"):
				t.Errorf("handlers never import cmd; %s depends on %s", rel(pkg), rel(dep))
			}
		}
	}
}

// The rules above must be able to fail: check them against a made-up graph.
func TestImportRulesCatchViolations(t *testing.T) {
	if !under(module+"/models/booking", "models") || under(module+"/handlers/web", "models") {
		t.Fatal("under() is wrong")
	}
	if under(module+"/modelsx", "models") {
		t.Fatal("a prefix that is not a path segment matched")
	}
}
