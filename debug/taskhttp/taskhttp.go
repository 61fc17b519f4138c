// Package taskhttp serves the live task trees of a program's [async.Run]
// scopes over HTTP, the way net/http/pprof serves profiles. Importing it for
// its side effect mounts the handler at /debug/tasks on
// http.DefaultServeMux:
//
//	import _ "github.com/asyncgo/async/debug/taskhttp"
//
//	go http.ListenAndServe("127.0.0.1:6060", nil)
//
// Then:
//
//	curl localhost:6060/debug/tasks              # the tree, like pstree
//	curl localhost:6060/debug/tasks?format=ps    # a table, like ps
//	curl localhost:6060/debug/tasks?format=json  # for tools
//	curl 'localhost:6060/debug/tasks?format=json&stacks=1'  # with each task's goroutine stack
//
// and a browser gets a page that refreshes itself (?refresh=ms, default
// 1000): each task's state as a badge (waiting, for a task blocked in one of
// package async's waits, apart from running), its age, progress bar, what
// it awaits, for how long and until when, and where it was made; groups
// that fold, with the tasks below them counted per state; identical
// siblings as one row with a count; a click on a task for its goroutine's
// stack; and a filter box (?q=text) that keeps the nodes whose id, name or
// state contains the text, so that a scope of ten thousand tasks stays
// usable. An awaiting link whose target is past the page's node cap asks
// for it (?reveal=group-7), and the page shows the path to it.
//
// Like pprof, it shows a program's internals: serve it on a private address.
package taskhttp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/debug/tasktree"
)

func init() {
	http.Handle("/debug/tasks", Handler())
}

// Handler returns the /debug/tasks handler for every scope in the process
// ([async.Scopes]). The format query parameter picks the output: "text"
// (the default for clients other than browsers), "ps", "json", "html" (the
// default for browsers) or "fragment" (the part of the page that it
// reloads). stacks=1 adds each task's goroutine (wait reason, wait time,
// stack; see [tasktree.AddStacks]) to the text and JSON forms; on the page,
// a task's stack shows when the task is opened with a click. Stacks need
// the scope to run [async.WithProfileLabels]; they cost one traceback of
// the program, paid only by the requests that ask.
func Handler() http.Handler {
	return handler{scopes: async.Scopes}
}

// HandlerFor returns a handler like [Handler] that shows only scope s.
func HandlerFor(s *async.Scope) http.Handler {
	return handler{scopes: func() []*async.Scope { return []*async.Scope{s} }}
}

type handler struct {
	scopes func() []*async.Scope
}

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "text"
		if strings.Contains(r.Header.Get("Accept"), "text/html") {
			format = "html"
		}
	}
	refresh := 1000
	if v := q.Get("refresh"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 {
			http.Error(w, "refresh must be a number of milliseconds, at least 100", http.StatusBadRequest)
			return
		}
		refresh = n
	}

	var snaps []*async.Snapshot
	for _, s := range h.scopes() {
		snaps = append(snaps, s.Snapshot())
	}
	// Stacks cost a traceback of the whole program: only when asked, by
	// stacks=1 or, on the page, by opening a task (stack=task-7,...).
	opened := idSet(q.Get("stack"))
	var stacksErr error
	if q.Get("stacks") == "1" || len(opened) > 0 {
		stacksErr = tasktree.AddStacks(snaps...)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	switch format {
	case "text", "tree", "ps":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if len(snaps) == 0 {
			fmt.Fprintln(w, "no async.Run scope is running")
		}
		for i, s := range snaps {
			if i > 0 {
				fmt.Fprintln(w)
			}
			if stacksErr != nil && i == 0 {
				fmt.Fprintf(w, "(no stacks: %v)\n", stacksErr)
			}
			if format == "ps" {
				fmt.Fprintf(w, "scope %q\n", s.Scope)
				_ = tasktree.WriteTable(w, s)
			} else {
				_ = tasktree.WriteTree(w, s)
			}
		}
	case "json":
		w.Header().Set("Content-Type", "application/json")
		if snaps == nil {
			snaps = []*async.Snapshot{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		var msg string
		if stacksErr != nil {
			msg = stacksErr.Error()
		}
		_ = enc.Encode(struct {
			Scopes      []*async.Snapshot `json:"scopes"`
			StacksError string            `json:"stacks_error,omitempty"`
		}{snaps, msg})
	case "html", "fragment":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		name := "page"
		if format == "fragment" {
			name = "fragment"
		}
		if err := templates.ExecuteTemplate(w, name, newPage(snaps, pageOptions{Refresh: refresh, Filter: q.Get("q"), Opened: idSet(q.Get("open")), Folded: idSet(q.Get("fold")), Stacks: opened, StacksError: stacksErr, Reveal: q.Get("reveal")})); err != nil {
			// The header is gone; all that is left is to say so in the page.
			fmt.Fprintf(w, "<p>error rendering the task tree: %s</p>", escape(err.Error()))
		}
	default:
		http.Error(w, fmt.Sprintf("unknown format %q: use text, ps, json or html", format), http.StatusBadRequest)
	}
}

// idSet parses a comma-separated list of node ids.
func idSet(list string) map[string]bool {
	set := make(map[string]bool)
	for id := range strings.SplitSeq(list, ",") {
		if id != "" {
			set[id] = true
		}
	}
	return set
}
