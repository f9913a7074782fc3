// Package apisize counts the exported identifiers of a Go package, the way
// issue 20 counted core's API: each exported constant, variable, function,
// type and method of an exported type is one identifier. Struct fields and
// interface methods are reported apart and not included in the total.
package apisize

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"path/filepath"
)

// Count is the size of one package's exported API.
type Count struct {
	Consts, Vars, Funcs, Types, Methods int
	Fields                              int // exported struct fields and interface methods, not in Total
}

// Total is the number of exported identifiers, fields excluded.
func (c Count) Total() int { return c.Consts + c.Vars + c.Funcs + c.Types + c.Methods }

func (c Count) String() string {
	return fmt.Sprintf("%d exported identifiers (%d constants, %d variables, %d functions, %d types, %d methods; plus %d exported fields)",
		c.Total(), c.Consts, c.Vars, c.Funcs, c.Types, c.Methods, c.Fields)
}

// Dir counts the exported API of the package in dir: its Go files for
// this platform and build tags (go/build's choice), test files excluded.
func Dir(dir string) (Count, error) {
	var c Count
	pkg, err := build.ImportDir(dir, 0)
	if err != nil {
		return c, err
	}
	fset := token.NewFileSet()
	for _, name := range pkg.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			return c, err
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				if d.Recv == nil {
					c.Funcs++
				} else if ast.IsExported(recvName(d.Recv.List[0].Type)) {
					c.Methods++
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if !n.IsExported() {
								continue
							}
							if d.Tok == token.CONST {
								c.Consts++
							} else {
								c.Vars++
							}
						}
					case *ast.TypeSpec:
						if !s.Name.IsExported() {
							continue
						}
						c.Types++
						c.Fields += exportedFields(s.Type)
					}
				}
			}
		}
	}
	return c, nil
}

func recvName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return recvName(e.X)
	case *ast.IndexExpr:
		return recvName(e.X)
	case *ast.IndexListExpr:
		return recvName(e.X)
	case *ast.Ident:
		return e.Name
	}
	return ""
}

func exportedFields(e ast.Expr) int {
	var list *ast.FieldList
	switch t := e.(type) {
	case *ast.StructType:
		list = t.Fields
	case *ast.InterfaceType:
		list = t.Methods
	default:
		return 0
	}
	n := 0
	for _, f := range list.List {
		for _, name := range f.Names {
			if name.IsExported() {
				n++
			}
		}
	}
	return n
}
