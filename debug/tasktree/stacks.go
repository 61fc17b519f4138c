package tasktree

import (
	"bytes"
	"errors"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/asyncgo/async"
)

// How a task is matched with its goroutine. The runtime names goroutines
// by number, tasks have numbers of their own, and Go gives no way to learn
// another goroutine's number, nor a cheap one to learn one's own: recording
// it as each task starts would cost every task a traceback. What the runtime
// does keep per goroutine, and copies from a goroutine to those it starts,
// is its profiler labels; a scope run [async.WithProfileLabels] sets
// async.id on the goroutine of each task as it starts. With GODEBUG
// tracebacklabels=1, a traceback of every goroutine prints each one's
// labels in its header, next to its wait reason and wait time, so that one
// runtime.Stack call gives, for each task, its goroutine's stack. A
// goroutine that a task started inherits its labels: the task's own is the
// one whose stack holds the task's function being run by the library
// (goroutineFor), and failing that the oldest. This costs nothing until
// stacks are asked for, and then one traceback of the whole program (as
// goroutine?debug=2 does), with the world stopped for it.

// ErrNoLabels is returned by [AddStacks] for a snapshot of a scope not run
// with [async.WithProfileLabels]: its tasks' goroutines cannot be told
// apart.
var ErrNoLabels = errors.New("tasktree: stacks need the scope to run with async.WithProfileLabels()")

// ErrNoTracebackLabels is returned by [AddStacks] when GODEBUG sets
// tracebacklabels=0, so that tracebacks do not name the tasks.
var ErrNoTracebackLabels = errors.New("tasktree: stacks need GODEBUG tracebacklabels=1, and GODEBUG sets it to 0")

// tracebackLabels turns on GODEBUG tracebacklabels=1 for the process, once,
// unless GODEBUG sets it already. It reports whether tracebacks print labels.
var tracebackLabels = sync.OnceValue(func() bool {
	env := os.Getenv("GODEBUG")
	for kv := range strings.SplitSeq(env, ",") {
		if k, v, _ := strings.Cut(strings.TrimSpace(kv), "="); k == "tracebacklabels" {
			return v == "1"
		}
	}
	if env != "" {
		env += ","
	}
	// The runtime reads GODEBUG again when it is set: crash tracebacks
	// name tasks from now on too, which is what a reader of one wants.
	os.Setenv("GODEBUG", env+"tracebacklabels=1")
	return true
})

// AddStacks fills in the Goroutine of every task of the snapshots: its
// goroutine's wait reason, wait time and stack, as goroutine?debug=2 gives
// them. It takes one traceback of every goroutine in the program, so it is
// for when a reader asks. Snapshots of scopes not run with
// [async.WithProfileLabels] are left as they are and reported with
// [ErrNoLabels].
func AddStacks(snaps ...*async.Snapshot) error {
	var errs []error
	need := false
	for _, s := range snaps {
		if s.Labels {
			need = true
		} else {
			errs = append(errs, errors.New("scope "+strconv.Quote(s.Scope)+": "+ErrNoLabels.Error()))
		}
	}
	if !need {
		if len(errs) > 0 {
			return errors.Join(append([]error{ErrNoLabels}, errs...)...)
		}
		return nil
	}
	if !tracebackLabels() {
		return ErrNoTracebackLabels
	}
	byTask := goroutinesByTask(allStacks())
	for _, s := range snaps {
		if !s.Labels {
			continue
		}
		for i := range s.Nodes {
			n := &s.Nodes[i]
			if n.Kind == async.KindTask {
				n.Goroutine = byTask[n.ID]
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(append([]error{ErrNoLabels}, errs...)...)
	}
	return nil
}

// allStacks returns runtime.Stack of every goroutine.
func allStacks() []byte {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

var (
	goroutineHeader = regexp.MustCompile(`^goroutine (\d+)(?: gp=\S+ m=\S+(?: mp=\S+)?)? \[(.*)\]:$`)
	labelPair       = regexp.MustCompile(`"((?:[^"\\]|\\.)*)": "((?:[^"\\]|\\.)*)"`)
)

// goroutinesByTask parses a traceback of every goroutine and returns the
// goroutine of each task by the task's ID (its async.id label).
func goroutinesByTask(dump []byte) map[uint64]*async.Goroutine {
	out := make(map[uint64]*async.Goroutine)
	own := make(map[uint64]bool) // the goroutine found runs the task's function
	for block := range bytes.SplitSeq(dump, []byte("\n\n")) {
		header, stack, _ := bytes.Cut(bytes.TrimSpace(block), []byte("\n"))
		m := goroutineHeader.FindSubmatch(header)
		if m == nil {
			continue
		}
		inside := string(m[2])
		var labels map[string]string
		if i := strings.Index(inside, " labels:{"); i >= 0 {
			labels = parseLabels(inside[i+len(" labels:{") : len(inside)-1])
			inside = inside[:i]
		}
		id, err := strconv.ParseUint(labels["async.id"], 10, 64)
		if err != nil {
			continue
		}
		g := &async.Goroutine{Stack: string(stack)}
		g.ID, _ = strconv.ParseUint(string(m[1]), 10, 64)
		parts := strings.Split(inside, ", ")
		g.Status = parts[0]
		for _, p := range parts[1:] {
			if n, ok := strings.CutSuffix(p, " minutes"); ok {
				g.WaitMinutes, _ = strconv.Atoi(n)
			}
		}
		mine := strings.Contains(g.Stack, "github.com/asyncgo/async.goroutineFor(")
		if prev, ok := out[id]; ok && (own[id] || !mine && prev.ID < g.ID) {
			continue
		}
		out[id], own[id] = g, mine
	}
	return out
}

// parseLabels reads `"k": "v", "k2": "v2"` as the runtime prints labels.
func parseLabels(s string) map[string]string {
	out := make(map[string]string)
	for _, m := range labelPair.FindAllStringSubmatch(s, -1) {
		k, err1 := strconv.Unquote(`"` + m[1] + `"`)
		v, err2 := strconv.Unquote(`"` + m[2] + `"`)
		if err1 == nil && err2 == nil {
			out[k] = v
		}
	}
	return out
}
