package asyncvet

import (
	"go/ast"

	"golang.org/x/tools/go/analysis"
)

func runLostCtx(pass *analysis.Pass) (any, error) {
	info := pass.TypesInfo
	check := func(lhs []ast.Expr, rhs []ast.Expr) {
		if len(rhs) != 1 || len(lhs) < 2 {
			return
		}
		call, ok := ast.Unparen(rhs[0]).(*ast.CallExpr)
		if !ok {
			return
		}
		blank := func(i int) bool {
			id, ok := lhs[i].(*ast.Ident)
			return ok && id.Name == "_"
		}
		switch {
		case isFunc(info, call, errgroupPath, "WithContext"):
			if blank(1) {
				pass.Report(analysis.Diagnostic{Pos: lhs[1].Pos(), End: call.End(),
					Message: "the context of errgroup.WithContext is thrown away, so the group's cancellation reaches no task: " +
						"name it and pass it to the tasks (g, gctx := errgroup.WithContext(ctx)), or use a plain group (var g errgroup.Group) if no task should be cancelled"})
			}
		}
	}
	inspectorOf(pass).Preorder(nodeFilter((*ast.AssignStmt)(nil), (*ast.ValueSpec)(nil)), func(n ast.Node) {
		switch n := n.(type) {
		case *ast.AssignStmt:
			check(n.Lhs, n.Rhs)
		case *ast.ValueSpec:
			lhs := make([]ast.Expr, len(n.Names))
			for i, id := range n.Names {
				lhs[i] = id
			}
			check(lhs, n.Values)
		}
	})
	return nil, nil
}
