package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// moduleDir finds module@version in the module cache, downloading it when
// missing.
func moduleDir(modver string) (string, error) {
	path, ver, ok := strings.Cut(modver, "@")
	if !ok {
		return "", fmt.Errorf("module %q: want path@version, for example k8s.io/api@v0.37.2", modver)
	}
	cache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMODCACHE: %w", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(cache)), escapePath(path)+"@"+ver)
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	// `go mod download` may report an error for a module that needs a newer
	// Go than the local toolchain even though it extracted the sources;
	// what counts is whether the directory exists afterwards.
	cmd := exec.Command("go", "mod", "download", "-json", modver)
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	msg, dlErr := cmd.CombinedOutput()
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	var info struct{ Error string }
	_ = json.Unmarshal(msg, &info)
	return "", fmt.Errorf("module %s is not in the module cache and could not be downloaded (%v %s); run 'go mod download %s'", modver, dlErr, info.Error, modver)
}

// escapePath applies the module cache's case encoding (!x for X).
func escapePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// readModule parses every lifecycle file under dir.
func readModule(dir, source string) ([]entry, error) {
	var out []entry
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || d.Name() != "zz_generated.prerelease-lifecycle.go" {
			return nil
		}
		es, err := readPackage(filepath.Dir(path), source)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, es...)
		return nil
	})
	return out, err
}

func readPackage(dir, source string) ([]entry, error) {
	group, err := groupName(filepath.Join(dir, "register.go"))
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(dir, "zz_generated.prerelease-lifecycle.go"), nil, 0)
	if err != nil {
		return nil, err
	}
	ver := f.Name.Name
	byKind := map[string]*entry{}
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 || !strings.HasPrefix(fn.Name.Name, "APILifecycle") {
			continue
		}
		star, ok := fn.Recv.List[0].Type.(*ast.StarExpr)
		if !ok {
			continue
		}
		id, ok := star.X.(*ast.Ident)
		if !ok || strings.HasSuffix(id.Name, "List") {
			continue
		}
		e := byKind[id.Name]
		if e == nil {
			e = &entry{gvk: gvk{Group: group, Version: ver, Kind: id.Name}, Source: source}
			byKind[id.Name] = e
		}
		ret, err := returnValues(fn)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", id.Name, fn.Name.Name, err)
		}
		switch fn.Name.Name {
		case "APILifecycleIntroduced":
			e.Introduced, err = minorOf(ret)
		case "APILifecycleDeprecated":
			e.Deprecated, err = minorOf(ret)
		case "APILifecycleRemoved":
			e.Removed, err = minorOf(ret)
		case "APILifecycleReplacement":
			e.Replacement, err = gvkOf(ret)
		}
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", id.Name, fn.Name.Name, err)
		}
	}
	var out []entry
	for _, e := range byKind {
		out = append(out, *e)
	}
	return out, nil
}

func returnValues(fn *ast.FuncDecl) ([]ast.Expr, error) {
	if fn.Body == nil || len(fn.Body.List) != 1 {
		return nil, fmt.Errorf("want a body of one return statement")
	}
	r, ok := fn.Body.List[0].(*ast.ReturnStmt)
	if !ok {
		return nil, fmt.Errorf("want a return statement")
	}
	return r.Results, nil
}

func minorOf(ret []ast.Expr) (minor, error) {
	if len(ret) != 2 {
		return minor{}, fmt.Errorf("want (major, minor), got %d values", len(ret))
	}
	var n [2]int
	for i, x := range ret {
		lit, ok := x.(*ast.BasicLit)
		if !ok || lit.Kind != token.INT {
			return minor{}, fmt.Errorf("want integer literals")
		}
		v, err := strconv.Atoi(lit.Value)
		if err != nil {
			return minor{}, err
		}
		n[i] = v
	}
	return minor{n[0], n[1]}, nil
}

func gvkOf(ret []ast.Expr) (gvk, error) {
	if len(ret) != 1 {
		return gvk{}, fmt.Errorf("want one GroupVersionKind")
	}
	cl, ok := ret[0].(*ast.CompositeLit)
	if !ok {
		return gvk{}, fmt.Errorf("want a composite literal")
	}
	var g gvk
	for _, elt := range cl.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			return gvk{}, fmt.Errorf("want keyed fields")
		}
		k, _ := kv.Key.(*ast.Ident)
		lit, _ := kv.Value.(*ast.BasicLit)
		if k == nil || lit == nil || lit.Kind != token.STRING {
			return gvk{}, fmt.Errorf("want Field: \"string\"")
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return gvk{}, err
		}
		switch k.Name {
		case "Group":
			g.Group = s
		case "Version":
			g.Version = s
		case "Kind":
			g.Kind = s
		}
	}
	return g, nil
}

// groupName reads `const GroupName = "..."` from a register.go.
func groupName(path string) (string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		return "", fmt.Errorf("cannot read the group name: %w", err)
	}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if n.Name != "GroupName" || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					return strconv.Unquote(lit.Value)
				}
			}
		}
	}
	return "", fmt.Errorf("%s: no const GroupName", path)
}
