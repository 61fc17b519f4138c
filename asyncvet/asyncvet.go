// Package asyncvet holds static checks for the structured-concurrency
// mistakes that are easy to write with github.com/asyncgo/async and with
// golang.org/x/sync/errgroup: a task that uses the outer context instead of
// its own, a group's context used after the group ended, a derived context
// thrown away, and a task handle nobody keeps.
//
// The checks are [golang.org/x/tools/go/analysis] analyzers, so they run
// under go vet (-vettool), gopls, or the standalone command cmd/asyncvet.
// Each one reports only what it can decide from the code in one function:
// a context reached through a struct field, a map or a call it cannot see
// into is left alone, as is a context detached on purpose
// (context.Background, context.TODO, context.WithoutCancel).
//
// The async package is recognised by its import path and by the shape of
// its functions (a function parameter whose first parameter is a
// context.Context is a task), not by a fixed list of names, so renaming or
// adding entry points does not blind the checks.
package asyncvet

import (
	"go/ast"
	"go/token"
	"go/types"
	"regexp"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/types/typeutil"
)

// Import paths of the packages whose API the checks know.
const (
	asyncPath    = "github.com/asyncgo/async"
	errgroupPath = "golang.org/x/sync/errgroup"
)

// TaskCtx reports a task that passes a context captured from outside
// instead of the context the task was given.
var TaskCtx = &analysis.Analyzer{
	Name:     "taskctx",
	Doc:      "report a task (async Spawn, Go, Submit, TryGo, Map, GatherFunc, Stream, WithGroup, Run, or errgroup's Go on a group made by WithContext) that passes an outer context instead of its own",
	URL:      "https://github.com/asyncgo/async/blob/main/docs/asyncvet.md#taskctx",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      runTaskCtx,
}

// GroupCtx reports a group's context used after the group ended: the
// context of errgroup.WithContext after the group's Wait, or the context a
// WithGroup body saved and used after WithGroup returned. Either is always
// cancelled by then.
var GroupCtx = &analysis.Analyzer{
	Name:     "groupctx",
	Doc:      "report a group's context used after the group ended (errgroup.WithContext's context after Wait, a WithGroup body's context after WithGroup returned)",
	URL:      "https://github.com/asyncgo/async/blob/main/docs/asyncvet.md#groupctx",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      runGroupCtx,
}

// LostCtx reports a derived context thrown away with the blank identifier,
// as in `g, _ := errgroup.WithContext(ctx)`: whatever cancels it reaches
// nobody.
var LostCtx = &analysis.Analyzer{
	Name:     "lostctx",
	Doc:      "report a derived context thrown away, as in g, _ := errgroup.WithContext(ctx)",
	URL:      "https://github.com/asyncgo/async/blob/main/docs/asyncvet.md#lostctx",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      runLostCtx,
}

// DroppedTask reports the result of Spawn, Shield or NewFuture (any
// function of the async package that returns a task or a future without
// being given a group) dropped in an expression statement.
var DroppedTask = &analysis.Analyzer{
	Name:     "droppedtask",
	Doc:      "report a task or future started outside a group whose handle is dropped (async.Spawn, async.Shield, async.NewFuture as a statement)",
	URL:      "https://github.com/asyncgo/async/blob/main/docs/asyncvet.md#droppedtask",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      runDroppedTask,
}

// Analyzers lists every check of the package, for a multichecker.
var Analyzers = []*analysis.Analyzer{TaskCtx, GroupCtx, LostCtx, DroppedTask}

// ---- shared helpers ----

func isContext(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return false
	}
	o := n.Obj()
	return o.Pkg() != nil && o.Pkg().Path() == "context" && o.Name() == "Context"
}

func pkgPath(o types.Object) string {
	if o == nil || o.Pkg() == nil {
		return ""
	}
	return o.Pkg().Path()
}

func callee(info *types.Info, call *ast.CallExpr) *types.Func {
	f, _ := typeutil.Callee(info, call).(*types.Func)
	if f != nil {
		f = f.Origin()
	}
	return f
}

// isFunc reports whether call calls the package-level function path.name.
func isFunc(info *types.Info, call *ast.CallExpr, path, name string) bool {
	f := callee(info, call)
	return f != nil && pkgPath(f) == path && f.Name() == name && f.Signature().Recv() == nil
}

// isMethod reports whether call calls method name of a type of package path.
func isMethod(info *types.Info, call *ast.CallExpr, path, typ, name string) bool {
	f := callee(info, call)
	if f == nil || f.Name() != name || pkgPath(f) != path {
		return false
	}
	recv := f.Signature().Recv()
	if recv == nil {
		return false
	}
	t := recv.Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Name() == typ
}

// localVar returns the local variable an expression names, if it is one.
func localVar(info *types.Info, e ast.Expr) *types.Var {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return nil
	}
	v, ok := info.Uses[id].(*types.Var)
	if !ok {
		v, ok = info.Defs[id].(*types.Var)
	}
	if !ok || v.IsField() || v.Pkg() == nil || v.Parent() == nil || v.Parent() == v.Pkg().Scope() {
		return nil
	}
	return v
}

func within(n ast.Node, pos token.Pos) bool { return n.Pos() <= pos && pos < n.End() }

// assignments maps every local variable of the file to the expressions
// assigned to it (for `a, b := f()` the call f() for both), so that the
// checks can follow how a context was made.
type assignments map[*types.Var][]ast.Expr

func collectAssignments(info *types.Info, file *ast.File) assignments {
	as := assignments{}
	add := func(lhs []ast.Expr, rhs []ast.Expr) {
		for i, l := range lhs {
			v := localVar(info, l)
			if v == nil {
				continue
			}
			switch {
			case len(rhs) == len(lhs):
				as[v] = append(as[v], rhs[i])
			case len(rhs) == 1:
				as[v] = append(as[v], rhs[0])
			}
		}
	}
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			add(n.Lhs, n.Rhs)
		case *ast.ValueSpec:
			lhs := make([]ast.Expr, len(n.Names))
			for i, id := range n.Names {
				lhs[i] = id
			}
			add(lhs, n.Values)
		}
		return true
	})
	return as
}

// parentCtx returns the context a call derives its result from: the first
// argument of a function that takes a context first and returns one first
// (context.WithCancel, errgroup.WithContext, trace.StartSpan...).
func parentCtx(info *types.Info, call *ast.CallExpr) ast.Expr {
	sig, ok := types.Unalias(info.TypeOf(call.Fun)).(*types.Signature)
	if !ok || sig.Params().Len() == 0 || sig.Results().Len() == 0 || len(call.Args) == 0 {
		return nil
	}
	if !isContext(sig.Params().At(0).Type()) || !isContext(sig.Results().At(0).Type()) {
		return nil
	}
	return call.Args[0]
}

// ancestors returns v and every local context it was derived from, through
// the assignments of the file.
func (as assignments) ancestors(info *types.Info, v *types.Var) map[*types.Var]bool {
	seen := map[*types.Var]bool{}
	var walk func(v *types.Var)
	walk = func(v *types.Var) {
		if v == nil || seen[v] {
			return
		}
		seen[v] = true
		for _, e := range as[v] {
			if call, ok := ast.Unparen(e).(*ast.CallExpr); ok {
				if isFunc(info, call, "context", "WithoutCancel") {
					continue // cancelling the parent does not reach it
				}
				if p := parentCtx(info, call); p != nil {
					walk(localVar(info, p))
				}
			} else {
				walk(localVar(info, e))
			}
		}
	}
	walk(v)
	return seen
}

// detached reports whether every way v was made cuts it from cancellation
// on purpose: context.Background, context.TODO, context.WithoutCancel, or a
// context derived from one of them.
func (as assignments) detached(info *types.Info, v *types.Var, seen map[*types.Var]bool) bool {
	if seen[v] {
		return false
	}
	seen[v] = true
	es := as[v]
	if len(es) == 0 {
		return false
	}
	for _, e := range es {
		if !as.detachedExpr(info, e, seen) {
			return false
		}
	}
	return true
}

func (as assignments) detachedExpr(info *types.Info, e ast.Expr, seen map[*types.Var]bool) bool {
	e = ast.Unparen(e)
	if call, ok := e.(*ast.CallExpr); ok {
		for _, name := range []string{"Background", "TODO", "WithoutCancel"} {
			if isFunc(info, call, "context", name) {
				return true
			}
		}
		if p := parentCtx(info, call); p != nil {
			return as.detachedExpr(info, p, seen)
		}
		return false
	}
	if v := localVar(info, e); v != nil {
		return as.detached(info, v, seen)
	}
	return false
}

// derivedFrom reports whether v is, or was made from, one of roots.
func (as assignments) derivedFrom(info *types.Info, v *types.Var, roots map[*types.Var]bool) bool {
	for a := range as.ancestors(info, v) {
		if roots[a] {
			return true
		}
	}
	return false
}

// logName matches the names of logging functions and methods (Infof,
// DebugContext, Warnln, Log...).
var logName = regexp.MustCompile(`^(Log|Print|Trace|Debug|Info|Warn|Warning|Error|Fatal|Panic)(f|ln|w|Context|Ctx)?$`)

// readsOnly reports whether a call only reads values out of a context
// (logging, tracing, metadata): handing it the outer context is harmless.
func readsOnly(info *types.Info, call *ast.CallExpr) bool {
	f := callee(info, call)
	if f == nil {
		return false
	}
	name := f.Name()
	if logName.MatchString(name) {
		return true // a logger reads the context's values (trace ids, metadata)
	}
	switch {
	case pkgPath(f) == "log/slog":
		return true
	case pkgPath(f) == "context" && (name == "Cause" || name == "WithoutCancel"):
		return true
	case strings.HasSuffix(name, "FromContext"), strings.HasSuffix(name, "FromIncomingContext"),
		strings.HasSuffix(name, "FromOutgoingContext"), name == "Ctx", name == "Value":
		return true
	}
	return false
}

// enclosingFuncs returns the function bodies (declarations and literals)
// that contain pos, outermost first.
func enclosingFuncs(file *ast.File, pos token.Pos) []*ast.FuncType {
	var out []*ast.FuncType
	ast.Inspect(file, func(n ast.Node) bool {
		if n == nil || !within(n, pos) {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncDecl:
			out = append(out, n.Type)
		case *ast.FuncLit:
			out = append(out, n.Type)
		}
		return true
	})
	return out
}

func firstParam(ft *ast.FuncType) (*ast.Ident, bool) {
	if ft.Params == nil || len(ft.Params.List) == 0 {
		return nil, false
	}
	f := ft.Params.List[0]
	if len(f.Names) == 0 {
		return nil, true
	}
	return f.Names[0], true
}

func fileOf(pass *analysis.Pass, pos token.Pos) *ast.File {
	for _, f := range pass.Files {
		if within(f, pos) {
			return f
		}
	}
	return nil
}

// stmtLists calls fn for every statement list of body (blocks and case
// bodies), nested ones included.
func stmtLists(body ast.Node, fn func([]ast.Stmt)) {
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BlockStmt:
			fn(n.List)
		case *ast.CaseClause:
			fn(n.Body)
		case *ast.CommClause:
			fn(n.Body)
		}
		return true
	})
}

func nodeFilter(nodes ...ast.Node) []ast.Node { return nodes }

func inspectorOf(pass *analysis.Pass) *inspector.Inspector {
	return pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
}
