package chaos

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Every SQL statement the module's code sends is a constant, or is built
// from constants (or package variables of constants that no function
// assigns) and identifiers quoted by pgx.Identifier.Sanitize: a
// table or column name read from the database or from a flag can never
// end a statement early. Values go in as $n parameters. The check reads
// the source (test files and the benchmarks' generators aside): a call of
// Exec, Query or QueryRow whose statement it cannot prove built that way
// is reported with its position.
func TestSQLBuiltOnlyWithQuotedIdentifiers(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	pkgs := map[string][]*ast.File{} // by folder
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", ".testbed", "bin", "node_modules", "contrib":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "bench") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		pkgs[filepath.Dir(path)] = append(pkgs[filepath.Dir(path)], f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var calls int
	for _, files := range pkgs {
		c := sqlChecker{methods: map[string]*ast.FuncDecl{}, consts: map[string]bool{}}
		for _, f := range files {
			for _, d := range f.Decls {
				if fn, ok := d.(*ast.FuncDecl); ok && fn.Body != nil {
					c.methods[fn.Name.Name] = fn
					c.bodies = append(c.bodies, fn.Body)
				}
				if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
					for _, spec := range g.Specs {
						for _, n := range spec.(*ast.ValueSpec).Names {
							c.consts[n.Name] = true
						}
					}
				}
			}
		}
		for _, f := range files {
			for _, d := range f.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || fn.Body == nil {
					continue
				}
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					call, ok := n.(*ast.CallExpr)
					if !ok || len(call.Args) < 2 {
						return true
					}
					sel, ok := call.Fun.(*ast.SelectorExpr)
					if !ok || (sel.Sel.Name != "Exec" && sel.Sel.Name != "Query" && sel.Sel.Name != "QueryRow") {
						return true
					}
					if pkg, isID := sel.X.(*ast.Ident); isID && pkg.Name == "syscall" {
						return true // syscall.Exec runs a program
					}
					calls++
					if id, isID := call.Args[1].(*ast.Ident); isID && builtFromTypes[filepath.Base(filepath.Dir(fset.Position(call.Pos()).Filename))+"."+id.Name] {
						return true
					}
					if !c.safe(fn, call.Args[1], 0) {
						t.Errorf("%s: SQL built from something other than constants and quoted identifiers", fset.Position(call.Pos()))
					}
					return true
				})
			}
		}
	}
	if calls == 0 {
		t.Fatal("no SQL call found: the check reads nothing")
	}
	t.Logf("%d SQL calls checked", calls)
}

// builtFromTypes are the statements built at package start from a Go
// type's own field tags, which the source alone cannot prove constant. Each
// refuses at start any tag that is not a plain lower-case name, so nothing
// read at run time reaches it. The worker's own migrations are files
// embedded at build time: nothing read at run time reaches them either.
var builtFromTypes = map[string]bool{
	"jobs.progressQuery":    true, // filemigrate.Report's JSON names (jobs/queue.go, reportColumns)
	"dbschema.migrationSQL": true, // the migrations/*.sql files embedded in the binary, applied in order
}

type sqlChecker struct {
	methods map[string]*ast.FuncDecl // the package's functions and methods by name
	bodies  []*ast.BlockStmt         // every function's body, for assignments
	consts  map[string]bool          // the package's constants, in any of its files
}

// safe reports whether e is a constant string, a quoted identifier, or
// built from them with +, fmt.Sprintf or strings.Join.
func (c sqlChecker) safe(fn *ast.FuncDecl, e ast.Expr, depth int) bool {
	if depth > 8 {
		return false
	}
	switch e := e.(type) {
	case *ast.BasicLit:
		return true
	case *ast.ParenExpr:
		return c.safe(fn, e.X, depth+1)
	case *ast.BinaryExpr:
		return e.Op == token.ADD && c.safe(fn, e.X, depth+1) && c.safe(fn, e.Y, depth+1)
	case *ast.CompositeLit:
		// A list of strings, for strings.Join.
		for _, el := range e.Elts {
			if !c.safe(fn, el, depth+1) {
				return false
			}
		}
		return true
	case *ast.Ident:
		if e.Obj != nil && e.Obj.Kind == ast.Con || e.Obj == nil && c.consts[e.Name] {
			return true
		}
		if v, ok := c.packageVar(fn, e); ok {
			return c.safe(fn, v, depth+1)
		}
		// A local variable: every value assigned to it must be safe.
		var found, ok = false, true
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			switch a := n.(type) {
			case *ast.AssignStmt:
				for i, l := range a.Lhs {
					if id, isID := l.(*ast.Ident); isID && id.Name == e.Name && i < len(a.Rhs) {
						found = true
						ok = ok && c.safe(fn, a.Rhs[i], depth+1)
					}
				}
			case *ast.ValueSpec:
				for i, id := range a.Names {
					if id.Name == e.Name && i < len(a.Values) {
						found = true
						ok = ok && c.safe(fn, a.Values[i], depth+1)
					}
				}
			}
			return true
		})
		return found && ok
	case *ast.CallExpr:
		if id, isID := e.Fun.(*ast.Ident); isID {
			return c.constantCall(fn, e, id, depth)
		}
		sel, isSel := e.Fun.(*ast.SelectorExpr)
		if !isSel {
			return false
		}
		name := sel.Sel.Name
		if pkg, isID := sel.X.(*ast.Ident); isID && (pkg.Name == "fmt" && name == "Sprintf" || pkg.Name == "strings" && name == "Join") {
			for _, a := range e.Args {
				if !c.safe(fn, a, depth+1) && !isNumber(a) {
					return false
				}
			}
			return true
		}
		if name == "Sanitize" {
			return true
		}
		// A method of this package that returns safe strings, e.g. a
		// table's quoted name.
		if m, ok := c.methods[name]; ok && m != fn {
			safe, any := true, false
			ast.Inspect(m.Body, func(n ast.Node) bool {
				if r, isRet := n.(*ast.ReturnStmt); isRet && len(r.Results) > 0 {
					any = true
					safe = safe && c.safe(m, r.Results[0], depth+1)
				}
				return true
			})
			return any && safe
		}
	}
	return false
}

// constantCall reports a call of a package function that only formats its
// arguments (e.g. a kind's name or a list of states as SQL literals), with
// arguments that are constants: its result is then as constant as they are.
// The function may call nothing but make, len, string conversions,
// strings.Join and fmt.Sprintf, and read nothing but its parameters, its
// locals and constants.
func (c sqlChecker) constantCall(fn *ast.FuncDecl, call *ast.CallExpr, id *ast.Ident, depth int) bool {
	m, ok := c.methods[id.Name]
	if !ok || m == fn || m.Recv != nil {
		return false
	}
	for _, a := range call.Args {
		if !c.safe(fn, a, depth+1) && !c.constantList(fn, a) {
			return false
		}
	}
	pure := true
	ast.Inspect(m.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			switch f := n.Fun.(type) {
			case *ast.Ident:
				pure = pure && (f.Name == "make" || f.Name == "len" || f.Name == "string")
			case *ast.SelectorExpr:
				pkg, isID := f.X.(*ast.Ident)
				pure = pure && isID && (pkg.Name == "strings" && f.Sel.Name == "Join" || pkg.Name == "fmt" && f.Sel.Name == "Sprintf")
			default:
				pure = false
			}
		case *ast.Ident:
			// A package variable could hold anything.
			if n.Obj != nil && n.Obj.Kind == ast.Var {
				if spec, isSpec := n.Obj.Decl.(*ast.ValueSpec); isSpec && !(spec.Pos() >= m.Pos() && spec.End() <= m.End()) {
					pure = false
				}
			}
		}
		return pure
	})
	return pure
}

// constantList reports a package variable, never assigned, whose value is a
// list of constants of another package (e.g. River's job states).
func (c sqlChecker) constantList(fn *ast.FuncDecl, e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	if !ok {
		return false
	}
	v, ok := c.packageVar(fn, id)
	if !ok {
		return false
	}
	lit, ok := v.(*ast.CompositeLit)
	if !ok {
		return false
	}
	for _, el := range lit.Elts {
		sel, isSel := el.(*ast.SelectorExpr)
		if !isSel {
			return false
		}
		if pkg, isID := sel.X.(*ast.Ident); !isID || pkg.Obj != nil || !token.IsExported(sel.Sel.Name) {
			return false
		}
	}
	return true
}

// packageVar returns the value of a package-level variable of the same
// file, declared with one and never assigned by any function of the
// package: as constant as a constant, for this check.
func (c sqlChecker) packageVar(fn *ast.FuncDecl, id *ast.Ident) (ast.Expr, bool) {
	if id.Obj == nil || id.Obj.Kind != ast.Var {
		return nil, false
	}
	spec, ok := id.Obj.Decl.(*ast.ValueSpec)
	if !ok || (spec.Pos() >= fn.Body.Pos() && spec.End() <= fn.Body.End()) {
		return nil, false // a local variable
	}
	var value ast.Expr
	for i, n := range spec.Names {
		if n.Name == id.Name && i < len(spec.Values) {
			value = spec.Values[i]
		}
	}
	if value == nil {
		return nil, false
	}
	for _, body := range c.bodies {
		assigned := false
		ast.Inspect(body, func(n ast.Node) bool {
			a, isAssign := n.(*ast.AssignStmt)
			if !isAssign {
				return true
			}
			for _, l := range a.Lhs {
				for {
					if ix, isIndex := l.(*ast.IndexExpr); isIndex {
						l = ix.X
						continue
					}
					break
				}
				if lid, isID := l.(*ast.Ident); isID && lid.Name == id.Name {
					assigned = true
				}
			}
			return true
		})
		if assigned {
			return nil, false
		}
	}
	return value, true
}

// isNumber reports an integer literal or a len(): a LIMIT or a parameter's
// number formatted in.
func isNumber(e ast.Expr) bool {
	if call, ok := e.(*ast.CallExpr); ok {
		id, isID := call.Fun.(*ast.Ident)
		return isID && id.Name == "len"
	}
	l, ok := e.(*ast.BasicLit)
	if !ok {
		return false
	}
	_, err := strconv.Atoi(l.Value)
	return err == nil
}
