package asyncvet

import (
	"fmt"
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/analysis"
)

// A task is a function literal that runs as a task and is given a context
// of its own: a parameter (async) or the context of errgroup.WithContext.
type task struct {
	lit      *ast.FuncLit
	own      *types.Var // the task's context; nil when the parameter is _ or unnamed
	ownName  string
	errgroup bool
	parents  []*types.Var // the contexts the task's own context is derived from
}

// egGroup is one `g, gctx := errgroup.WithContext(parent)`.
type egGroup struct {
	stmt   ast.Stmt
	call   *ast.CallExpr
	g, ctx *types.Var // ctx is nil for _
}

func errgroups(info *types.Info, file *ast.File) []egGroup {
	var out []egGroup
	ast.Inspect(file, func(n ast.Node) bool {
		var lhs, rhs []ast.Expr
		switch n := n.(type) {
		case *ast.AssignStmt:
			lhs, rhs = n.Lhs, n.Rhs
		case *ast.DeclStmt:
			gd, ok := n.Decl.(*ast.GenDecl)
			if !ok || len(gd.Specs) != 1 {
				return true
			}
			vs, ok := gd.Specs[0].(*ast.ValueSpec)
			if !ok || len(vs.Names) != 2 {
				return true
			}
			lhs, rhs = []ast.Expr{vs.Names[0], vs.Names[1]}, vs.Values
		default:
			return true
		}
		if len(lhs) != 2 || len(rhs) != 1 {
			return true
		}
		call, ok := ast.Unparen(rhs[0]).(*ast.CallExpr)
		if !ok || !isFunc(info, call, errgroupPath, "WithContext") {
			return true
		}
		g := localVar(info, lhs[0])
		if g == nil {
			return true
		}
		out = append(out, egGroup{stmt: n.(ast.Stmt), call: call, g: g, ctx: localVar(info, lhs[1])})
		return true
	})
	return out
}

// groupOf returns the errgroup.WithContext that made g most recently before
// the call at pos, if g was only ever made that way.
func groupOf(info *types.Info, as assignments, groups []egGroup, g *types.Var, call *ast.CallExpr) *egGroup {
	for _, e := range as[g] {
		c, ok := ast.Unparen(e).(*ast.CallExpr)
		if !ok || !isFunc(info, c, errgroupPath, "WithContext") {
			return nil // also made some other way: cannot tell which
		}
	}
	var best *egGroup
	for i := range groups {
		if groups[i].g == g && groups[i].call.Pos() < call.Pos() && (best == nil || groups[i].call.Pos() > best.call.Pos()) {
			best = &groups[i]
		}
	}
	return best
}

func isAsyncGroup(t types.Type) bool {
	p, ok := types.Unalias(t).(*types.Pointer)
	if !ok {
		return false
	}
	n, ok := types.Unalias(p.Elem()).(*types.Named)
	return ok && pkgPath(n.Obj()) == asyncPath && n.Obj().Name() == "Group"
}

// taskFunc reports whether t is a function whose first parameter is a
// context.Context: what the async package runs as a task.
func taskFunc(t types.Type) bool {
	sig, ok := t.Underlying().(*types.Signature)
	return ok && sig.Params().Len() > 0 && isContext(sig.Params().At(0).Type())
}

// findTasks lists the task literals of file.
func findTasks(pass *analysis.Pass, file *ast.File, as assignments) []task {
	info := pass.TypesInfo
	groups := errgroups(info, file)
	// The ctx parameter of the function literal that declares a *Group
	// parameter (a WithGroup body): the context of that group.
	groupCtx := map[*types.Var]*types.Var{}
	ast.Inspect(file, func(n ast.Node) bool {
		lit, ok := n.(*ast.FuncLit)
		if !ok {
			return true
		}
		var ctx *types.Var
		for _, f := range lit.Type.Params.List {
			for _, id := range f.Names {
				v, _ := info.Defs[id].(*types.Var)
				if v == nil {
					continue
				}
				switch {
				case ctx == nil && isContext(v.Type()):
					ctx = v
				case ctx != nil && isAsyncGroup(v.Type()):
					groupCtx[v] = ctx
				}
			}
		}
		return true
	})

	var tasks []task
	newTask := func(lit *ast.FuncLit, parents []*types.Var) {
		t := task{lit: lit, parents: parents}
		if id, _ := firstParam(lit.Type); id != nil && id.Name != "_" {
			t.own, _ = info.Defs[id].(*types.Var)
			t.ownName = id.Name
		}
		tasks = append(tasks, t)
	}
	ast.Inspect(file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		f := callee(info, call)
		if f == nil {
			return true
		}
		switch {
		case pkgPath(f) == asyncPath:
			sig, ok := types.Unalias(info.TypeOf(call.Fun)).(*types.Signature)
			if !ok {
				return true
			}
			var parents []*types.Var
			consider := append([]ast.Expr(nil), call.Args...)
			if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
				if s := info.Selections[sel]; s != nil && s.Kind() == types.MethodVal {
					consider = append(consider, sel.X)
				}
			}
			for _, a := range consider {
				v := localVar(info, a)
				switch {
				case v == nil:
				case isContext(v.Type()):
					parents = append(parents, v)
				case groupCtx[v] != nil:
					parents = append(parents, groupCtx[v])
				}
			}
			for i, a := range call.Args {
				if sig.Variadic() && i >= sig.Params().Len()-1 {
					break // options
				}
				if i >= sig.Params().Len() {
					break
				}
				pt := sig.Params().At(i).Type()
				switch a := ast.Unparen(a).(type) {
				case *ast.FuncLit:
					if taskFunc(pt) {
						newTask(a, parents)
					}
				case *ast.CompositeLit: // GatherFunc's []func(ctx) (T, error)
					if sl, ok := pt.Underlying().(*types.Slice); ok && taskFunc(sl.Elem()) {
						for _, e := range a.Elts {
							if lit, ok := ast.Unparen(e).(*ast.FuncLit); ok {
								newTask(lit, parents)
							}
						}
					}
				}
			}
		case isMethod(info, call, errgroupPath, "Group", "Go") || isMethod(info, call, errgroupPath, "Group", "TryGo"):
			sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
			if !ok || len(call.Args) != 1 {
				return true
			}
			lit, ok := ast.Unparen(call.Args[0]).(*ast.FuncLit)
			if !ok {
				return true
			}
			g := localVar(info, sel.X)
			if g == nil {
				return true
			}
			eg := groupOf(info, as, groups, g, call)
			if eg == nil || eg.ctx == nil {
				return true // no derived context to use (lostctx reports a discarded one)
			}
			t := task{lit: lit, own: eg.ctx, ownName: eg.ctx.Name(), errgroup: true}
			if p := localVar(info, eg.call.Args[0]); p != nil {
				t.parents = []*types.Var{p}
			}
			tasks = append(tasks, t)
		}
		return true
	})
	return tasks
}

func runTaskCtx(pass *analysis.Pass) (any, error) {
	info := pass.TypesInfo
	for _, file := range pass.Files {
		as := collectAssignments(info, file)
		tasks := findTasks(pass, file, as)
		isTask := map[*ast.FuncLit]bool{}
		for _, t := range tasks {
			isTask[t.lit] = true
		}
		for _, t := range tasks {
			checkTask(pass, file, as, t, isTask)
		}
	}
	return nil, nil
}

func checkTask(pass *analysis.Pass, file *ast.File, as assignments, t task, isTask map[*ast.FuncLit]bool) {
	info := pass.TypesInfo
	// The outer contexts: those the task's own context is derived from, and
	// the context parameters of the functions around the task.
	outer := map[*types.Var]bool{}
	for _, p := range t.parents {
		for a := range as.ancestors(info, p) {
			outer[a] = true
		}
	}
	for _, ft := range enclosingFuncs(file, t.lit.Pos()) {
		if ft == t.lit.Type {
			continue
		}
		for _, f := range ft.Params.List {
			for _, id := range f.Names {
				if v, _ := info.Defs[id].(*types.Var); v != nil && isContext(v.Type()) {
					outer[v] = true
				}
			}
		}
	}
	delete(outer, t.own)
	if len(outer) == 0 {
		return
	}
	// A task that waits for its own context to end and then uses the outer
	// one (a server's Shutdown after the group is cancelled) does so on
	// purpose: calls after the first ownCtx.Done() are left alone.
	doneAt := t.lit.End()
	if t.own != nil {
		ast.Inspect(t.lit.Body, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Done" && localVar(info, sel.X) == t.own && call.Pos() < doneAt {
					doneAt = call.Pos()
				}
			}
			return true
		})
	}
	if t.own != nil && !t.errgroup && handsOn(info, t.lit.Body, t.own) {
		return // the task passes its context on through a struct field or variable: not decided
	}
	own := map[*types.Var]bool{t.own: true}
	ast.Inspect(t.lit.Body, func(n ast.Node) bool {
		if lit, ok := n.(*ast.FuncLit); ok && isTask[lit] {
			return false // checked on its own
		}
		call, ok := n.(*ast.CallExpr)
		if !ok || call.Pos() > doneAt || readsOnly(info, call) {
			return true
		}
		for _, a := range call.Args {
			v := localVar(info, a)
			if v == nil || !outer[v] || within(t.lit, v.Pos()) {
				continue
			}
			if assignedWithin(as, v, t.lit) || as.detached(info, v, map[*types.Var]bool{}) || (t.own != nil && as.derivedFrom(info, v, own)) {
				continue
			}
			pass.Report(analysis.Diagnostic{Pos: a.Pos(), End: a.End(), Message: taskMessage(t, v, call)})
		}
		return true
	})
}

func assignedWithin(as assignments, v *types.Var, n ast.Node) bool {
	for _, e := range as[v] {
		if within(n, e.Pos()) {
			return true
		}
	}
	return false
}

func taskMessage(t task, v *types.Var, call *ast.CallExpr) string {
	what := types.ExprString(call.Fun)
	switch {
	case t.errgroup:
		return fmt.Sprintf("errgroup task passes the outer context %s to %s, so the group's cancellation never reaches it: pass the group's context %s instead",
			v.Name(), what, t.ownName)
	case t.own == nil:
		return fmt.Sprintf("task ignores its own context (_) and passes the outer context %s to %s, so cancelling the task does not reach it: name the task's context parameter and pass that instead",
			v.Name(), what)
	default:
		return fmt.Sprintf("task passes the outer context %s to %s, so cancelling the task does not reach it: pass the task's own context %s instead",
			v.Name(), what, t.ownName)
	}
}

// handsOn reports whether body stores ctx somewhere (a field, a variable,
// a composite literal), so that the calls may reach it another way.
func handsOn(info *types.Info, body ast.Node, ctx *types.Var) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, r := range n.Rhs {
				if localVar(info, r) == ctx {
					found = true
				}
			}
		case *ast.CompositeLit:
			for _, e := range n.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					e = kv.Value
				}
				if localVar(info, e) == ctx {
					found = true
				}
			}
		}
		return !found
	})
	return found
}
