package asyncvet

import (
	"fmt"
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/analysis"
)

func runGroupCtx(pass *analysis.Pass) (any, error) {
	info := pass.TypesInfo
	for _, file := range pass.Files {
		as := collectAssignments(info, file)
		groups := errgroups(info, file)
		byStmt := map[ast.Stmt]*egGroup{}
		for i := range groups {
			if groups[i].ctx != nil {
				byStmt[groups[i].stmt] = &groups[i]
			}
		}
		saved := savedGroupContexts(info, file)
		stmtLists(file, func(list []ast.Stmt) {
			for i, s := range list {
				if eg := byStmt[s]; eg != nil {
					checkAfterWait(pass, as, eg, list[i+1:])
				}
				for _, sv := range saved {
					if within(s, sv.call.Pos()) && topLevelCall(s, sv.call) {
						after := list[i+1:]
						reportUses(pass, sv.v, after, func() string {
							return fmt.Sprintf("%s holds the context of a %s body, cancelled once %s returned: keep using it inside the body only, and pass the context %s was given after it",
								sv.v.Name(), types.ExprString(sv.call.Fun), types.ExprString(sv.call.Fun), types.ExprString(sv.call.Fun))
						})
					}
				}
			}
		})
	}
	return nil, nil
}

// topLevelCall reports whether call runs when s runs (it is not inside a
// function literal, a defer or a go statement of s).
func topLevelCall(s ast.Stmt, call *ast.CallExpr) bool {
	found := false
	ast.Inspect(s, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.FuncLit, *ast.DeferStmt, *ast.GoStmt:
			return false
		}
		if n == call {
			found = true
		}
		return !found
	})
	return found
}

// waits reports whether n calls g.Wait itself (outside function literals,
// defer and go statements).
func waits(info *types.Info, n ast.Node, g *types.Var) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit, *ast.DeferStmt, *ast.GoStmt:
			return false
		case *ast.CallExpr:
			if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok && sel.Sel.Name == "Wait" &&
				localVar(info, sel.X) == g && isMethod(info, n, errgroupPath, "Group", "Wait") {
				found = true
			}
		}
		return !found
	})
	return found
}

func assigns(info *types.Info, n ast.Node, v *types.Var) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if a, ok := n.(*ast.AssignStmt); ok {
			for _, l := range a.Lhs {
				if id, ok := l.(*ast.Ident); ok && (info.Uses[id] == v || info.Defs[id] == v) {
					found = true
				}
			}
		}
		return !found
	})
	return found
}

// checkAfterWait looks, in the statements that follow an
// errgroup.WithContext, for the group's Wait and then for its context used
// after it.
func checkAfterWait(pass *analysis.Pass, as assignments, eg *egGroup, rest []ast.Stmt) {
	info := pass.TypesInfo
	for j, s := range rest {
		if assigns(info, s, eg.g) || assigns(info, s, eg.ctx) {
			return // a new group or context from here on
		}
		if gs, ok := s.(*ast.GoStmt); ok {
			// go func() { g.Wait(); close(results) }(): from here on the
			// group's context may be cancelled at any moment.
			if lit, ok := ast.Unparen(gs.Call.Fun).(*ast.FuncLit); ok && waits(info, lit.Body, eg.g) {
				reportUses(pass, eg.ctx, rest[j+1:], func() string {
					return fmt.Sprintf("%s is the context of errgroup.WithContext, cancelled as soon as %s.Wait returns in the goroutine above, while this code may still run: use %s instead",
						eg.ctx.Name(), eg.g.Name(), parentName(info, eg))
				})
				return
			}
		}
		if !waits(info, s, eg.g) {
			continue
		}
		var after []ast.Stmt
		switch s := s.(type) {
		case *ast.IfStmt: // if err := g.Wait(); err != nil { ... }
			if (s.Init != nil && waits(info, s.Init, eg.g)) || waits(info, s.Cond, eg.g) {
				after = append(after, s.Body)
				if s.Else != nil {
					after = append(after, s.Else)
				}
			} else {
				return // Wait in a branch: cannot tell whether it ran
			}
		case *ast.ExprStmt, *ast.AssignStmt, *ast.DeclStmt:
		default:
			return // Wait somewhere inside a loop or a branch: cannot tell what runs after it
		}
		after = append(after, rest[j+1:]...)
		reportUses(pass, eg.ctx, after, func() string {
			return fmt.Sprintf("%s is the context of errgroup.WithContext, cancelled once %s.Wait returned: use %s instead",
				eg.ctx.Name(), eg.g.Name(), parentName(info, eg))
		})
		reportReuse(pass, eg, after)
		return
	}
}

// reportUses reports v passed to a call in stmts, up to the first
// statement that assigns v.
func reportUses(pass *analysis.Pass, v *types.Var, stmts []ast.Stmt, msg func() string) {
	info := pass.TypesInfo
	for _, s := range stmts {
		if assigns(info, s, v) {
			return
		}
		ast.Inspect(s, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || readsOnly(info, call) {
				return true
			}
			for _, a := range call.Args {
				if localVar(info, a) == v {
					pass.Report(analysis.Diagnostic{Pos: a.Pos(), End: a.End(), Message: msg()})
				}
			}
			return true
		})
	}
}

// A savedCtx is a variable from outside a WithGroup (or Run) body that the
// body sets to the group's context.
type savedCtx struct {
	call *ast.CallExpr
	v    *types.Var
}

// savedGroupContexts finds the bodies passed to functions of the async
// package that run them to the end before returning an error (WithGroup,
// Run), and the outer variables those bodies set to their context.
func savedGroupContexts(info *types.Info, file *ast.File) []savedCtx {
	var out []savedCtx
	ast.Inspect(file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		f := callee(info, call)
		if f == nil || pkgPath(f) != asyncPath || f.Signature().Recv() != nil {
			return true
		}
		res := f.Signature().Results()
		if res.Len() != 1 || res.At(0).Type().String() != "error" {
			return true
		}
		for _, a := range call.Args {
			lit, ok := ast.Unparen(a).(*ast.FuncLit)
			if !ok {
				continue
			}
			id, _ := firstParam(lit.Type)
			if id == nil {
				continue
			}
			ctx, _ := info.Defs[id].(*types.Var)
			if ctx == nil || !isContext(ctx.Type()) {
				continue
			}
			ast.Inspect(lit.Body, func(n ast.Node) bool {
				as, ok := n.(*ast.AssignStmt)
				if !ok || len(as.Lhs) != len(as.Rhs) {
					return true
				}
				for i, r := range as.Rhs {
					if localVar(info, r) != ctx {
						continue
					}
					if v := localVar(info, as.Lhs[i]); v != nil && !within(lit, v.Pos()) {
						out = append(out, savedCtx{call: call, v: v})
					}
				}
				return true
			})
		}
		return true
	})
	return out
}

func parentName(info *types.Info, eg *egGroup) string {
	p := localVar(info, eg.call.Args[0])
	switch {
	case p == nil:
		return "the context the group was made from"
	case p == eg.ctx || p.Name() == eg.ctx.Name():
		return fmt.Sprintf("the parent context under its own name (%s, gctx := errgroup.WithContext(%s)) and use %s", eg.g.Name(), p.Name(), p.Name())
	}
	return p.Name()
}

// reportReuse reports tasks added to an errgroup.WithContext group after its
// Wait returned: its context is cancelled already, and a failure of the new
// task cancels nothing.
func reportReuse(pass *analysis.Pass, eg *egGroup, stmts []ast.Stmt) {
	info := pass.TypesInfo
	for _, s := range stmts {
		if assigns(info, s, eg.g) {
			return
		}
		ast.Inspect(s, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
			if !ok || localVar(info, sel.X) != eg.g {
				return true
			}
			if isMethod(info, call, errgroupPath, "Group", "Go") || isMethod(info, call, errgroupPath, "Group", "TryGo") {
				pass.Report(analysis.Diagnostic{Pos: call.Pos(), End: call.End(),
					Message: fmt.Sprintf("%s.%s after %s.Wait returned: the group's context %s is cancelled already and a failure here cancels nothing; make a new group with errgroup.WithContext for the next round",
						eg.g.Name(), sel.Sel.Name, eg.g.Name(), eg.ctx.Name())})
			}
			return true
		})
	}
}
