package tasktree

import (
	"strconv"

	"github.com/asyncgo/async"
)

// FoldAt is the number of identical siblings from which the tree, the
// table and the page show them as one line with a count, as the goroutine
// profile's debug=1 form groups identical stacks: ten thousand workers
// waiting at one gate take one line, not ten thousand.
//
// Siblings are identical when they are tasks without children of their
// own, made at the same origin (or, without one, of the same name), in
// the same state, waiting on the same thing (the same target, sleep or
// timeout, by name). Their ages and deadlines may differ.
const FoldAt = 8

// Fold is a node of the tree standing for Count identical siblings: Node
// is the first of them (the lowest ID), Last the last.
type Fold struct {
	*Node
	Count int
	Last  *Node
}

// foldKey is what identical siblings share.
type foldKey struct {
	site     string
	state    async.State
	target   async.Ref
	wait     string
	sleep    bool
	timeout  bool
	awaiting bool
}

// FoldKey returns what t shares with the siblings it folds with (a
// comparable value), or false for a node that never folds (a group). A task
// with children of its own never folds either, which FoldKey cannot see.
func FoldKey(t *async.TaskInfo) (any, bool) {
	k, ok := keyOf(t)
	return k, ok
}

func keyOf(t *async.TaskInfo) (foldKey, bool) {
	if t.Kind != async.KindTask {
		return foldKey{}, false
	}
	k := foldKey{site: t.Origin, state: t.State}
	if k.site == "" {
		k.site = "name " + t.Name
	}
	if a := t.Awaiting; a != nil {
		k.awaiting, k.target, k.wait, k.sleep, k.timeout = true, a.Target, a.Name, a.Sleep, a.Timeout
	}
	return k, true
}

// FoldSiblings returns nodes with each set of at least [FoldAt] identical
// siblings (see FoldAt) as one Fold, where its first member was; other
// nodes are Folds of one.
func FoldSiblings(nodes []*Node) []Fold {
	counts := make(map[foldKey]int)
	for _, n := range nodes {
		if k, ok := keyOf(n.TaskInfo); ok && len(n.Children) == 0 {
			counts[k]++
		}
	}
	out := make([]Fold, 0, len(nodes))
	at := make(map[foldKey]int) // where a fold is in out
	for _, n := range nodes {
		k, ok := keyOf(n.TaskInfo)
		if !ok || len(n.Children) > 0 || counts[k] < FoldAt {
			out = append(out, Fold{Node: n, Count: 1, Last: n})
			continue
		}
		if i, seen := at[k]; seen {
			out[i].Count++
			out[i].Last = n
			continue
		}
		at[k] = len(out)
		out = append(out, Fold{Node: n, Count: 1, Last: n})
	}
	return out
}

// foldLine is the line of a fold of several tasks: how many, and the first
// and last of them.
func foldLine(s *async.Snapshot, f Fold) string {
	return thousands(f.Count) + " tasks like " + describe(s, f.TaskInfo) +
		" (tasks " + strconv.FormatUint(f.ID, 10) + "–" + strconv.FormatUint(f.Last.ID, 10) + " \"" + f.Last.Name + "\": same origin, state and wait)"
}

// thousands writes n with a comma between thousands: 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
