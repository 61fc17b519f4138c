package asyncvet

import (
	"fmt"
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/analysis"
)

// handleType returns "Task" or "Future" when t is a pointer to one of the
// async package's handles, "" otherwise.
func handleType(t types.Type) string {
	p, ok := types.Unalias(t).(*types.Pointer)
	if !ok {
		return ""
	}
	n, ok := types.Unalias(p.Elem()).(*types.Named)
	if !ok || pkgPath(n.Obj()) != asyncPath {
		return ""
	}
	switch name := n.Origin().Obj().Name(); name {
	case "Task", "Future":
		return name
	}
	return ""
}

func runDroppedTask(pass *analysis.Pass) (any, error) {
	info := pass.TypesInfo
	inspectorOf(pass).Preorder(nodeFilter((*ast.ExprStmt)(nil)), func(n ast.Node) {
		call, ok := ast.Unparen(n.(*ast.ExprStmt).X).(*ast.CallExpr)
		if !ok {
			return
		}
		f := callee(info, call)
		if f == nil || pkgPath(f) != asyncPath || f.Signature().Recv() != nil {
			return
		}
		sig := f.Signature()
		if sig.Results().Len() != 1 {
			return
		}
		kind := handleType(sig.Results().At(0).Type())
		if kind == "" {
			return
		}
		for i := 0; i < sig.Params().Len(); i++ {
			if isAsyncGroup(sig.Params().At(i).Type()) {
				return // the group keeps and awaits its tasks
			}
		}
		if len(call.Args) > 0 && runOwned(pass, call.Args[0]) {
			return // Run cancels and waits for what its main leaves, and reports leaks
		}
		name := types.ExprString(call.Fun)
		var msg string
		if kind == "Future" {
			msg = fmt.Sprintf("the future made by %s is dropped: nothing can ever set, await or cancel it; keep it (f := %s(...)) and hand it to whoever completes it", name, name)
		} else {
			msg = fmt.Sprintf("the task started by %s is dropped: nothing can await or cancel it, and nothing waits for it; keep it (t := %s(...)) and Await it, or start it in a group (WithGroup and g.Go)", name, name)
		}
		pass.Report(analysis.Diagnostic{Pos: call.Pos(), End: call.End(), Message: msg})
	})
	return nil, nil
}

// runOwned reports whether ctx is the context parameter of a main function
// passed straight to async.Run: Run tracks every task started with it,
// cancels the ones main leaves behind and waits for them.
func runOwned(pass *analysis.Pass, ctx ast.Expr) bool {
	info := pass.TypesInfo
	v := localVar(info, ctx)
	if v == nil {
		return false
	}
	file := fileOf(pass, v.Pos())
	if file == nil {
		return false
	}
	found := false
	ast.Inspect(file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if found || !ok || !within(call, v.Pos()) {
			return !found && (n == nil || within(n, v.Pos()))
		}
		if isFunc(info, call, asyncPath, "Run") {
			for _, a := range call.Args {
				if lit, ok := ast.Unparen(a).(*ast.FuncLit); ok {
					if id, _ := firstParam(lit.Type); id != nil && info.Defs[id] == v {
						found = true
					}
				}
			}
		}
		return !found
	})
	return found
}
