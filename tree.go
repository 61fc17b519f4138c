package async

import "context"

// nodeKey is the context key under which a task's or a group's context
// answers with itself, so that a task started with that context knows its
// parent, and Report and Current find the task they run in.
type nodeKey struct{}

// node is a place in the task tree: a task, a group or a root scope.
type node interface {
	// nodeTracker returns the tracker that records the node's descendants,
	// or nil when nothing tracks them.
	nodeTracker() tracker
}

// tracker records live tasks for the task tree. For each task whose parent
// has a tracker, prepare and track are called once while the task is being
// made and untrack once when it finishes.
type tracker interface {
	// prepare may give the task a context to derive its own from instead
	// of ctx (ctx carrying an execution-tracer task), in its extra part. t
	// is not yet shared with any other goroutine.
	prepare(t *taskCore, ctx context.Context)
	// track records t, which runs fn, as live.
	track(t *taskCore, fn any)
	untrack(t *taskCore)
	// clock returns the clock the tracked tasks record their times with,
	// or nil for exact readings of the task clock.
	clock() *scopeClock
}

// trackerRef returns tr as a task's extra part keeps it: a pointer to an
// interface value that lives as long as tr does, so that the part spends
// one word on it, not two. A scope keeps its own (Scope.self); any other
// tracker, which only tests have, gets a new one.
func trackerRef(tr tracker) *tracker {
	switch tr := tr.(type) {
	case nil:
		return nil
	case *Scope:
		return &tr.self
	}
	p := new(tracker)
	*p = tr
	return p
}

// nodeContext is the context a task's function (or a group's body) receives:
// a real context.WithCancelCause context, so that context.Cause and derived
// contexts behave exactly as usual, which also answers Value(nodeKey{}) with
// its owner. It is embedded in its owner to cost no allocation.
type nodeContext struct {
	context.Context
	owner node
}

func (c *nodeContext) Value(key any) any {
	if _, ok := key.(nodeKey); ok {
		return c.owner
	}
	return c.Context.Value(key)
}

func (c *nodeContext) String() string {
	if t, ok := c.owner.(*taskCore); ok {
		return "async.TaskContext(" + t.Name() + ")"
	}
	if g, ok := c.owner.(*Group); ok {
		return "async.GroupContext(" + g.Name() + ")"
	}
	if s, ok := c.owner.(*Scope); ok {
		return "async.ScopeContext(" + s.Name() + ")"
	}
	return "async.Context"
}

// parentNode returns the innermost task, group or scope of ctx, or nil.
func parentNode(ctx context.Context) node {
	n, _ := ctx.Value(nodeKey{}).(node)
	return n
}

// Current returns the task whose function is running with ctx (or with a
// context derived from it), asyncio's current_task. It returns nil outside
// any task.
func Current(ctx context.Context) Handle {
	for n := parentNode(ctx); n != nil; {
		switch v := n.(type) {
		case *taskCore:
			return v
		case *Group:
			n = v.parent
		default:
			return nil
		}
	}
	return nil
}
