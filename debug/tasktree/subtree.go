package tasktree

import "github.com/asyncgo/async"

// Totals is what a group's subtree holds: the tasks below it, at any depth
// (its subgroups' too), by state, and the progress of the group and of
// every group below it added up. A group whose tasks each run a subgroup
// (fetchall's run group: a task per host, each with a group of URLs) then
// counts and progresses with the work below it, not with its few direct
// tasks.
type Totals struct {
	Tasks    int
	States   [5]int // by async.State
	Progress *async.Progress
}

// SubtreeTotals returns the totals of n's subtree, n excluded from the
// task counts.
func SubtreeTotals(n *Node) Totals {
	var t Totals
	var walk func(n *Node)
	walk = func(n *Node) {
		if n.Kind == async.KindGroup && n.Progress != nil {
			if t.Progress == nil {
				t.Progress = &async.Progress{}
			}
			t.Progress.Done += n.Progress.Done
			t.Progress.Total += n.Progress.Total
			if n.Progress.Updated.After(t.Progress.Updated) {
				t.Progress.Updated = n.Progress.Updated
			}
		}
		for _, c := range n.Children {
			if c.Kind == async.KindTask {
				t.Tasks++
				if int(c.State) < len(t.States) {
					t.States[c.State]++
				}
			}
			walk(c)
		}
	}
	walk(n)
	return t
}
