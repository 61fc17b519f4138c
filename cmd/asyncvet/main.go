// Command asyncvet reports the structured-concurrency mistakes of package
// github.com/asyncgo/async and of golang.org/x/sync/errgroup: a task that
// passes the outer context instead of its own (taskctx), a group's context
// used after the group ended (groupctx), a derived context thrown away
// (lostctx), and a task handle nobody keeps (droppedtask). See
// docs/asyncvet.md.
//
// Run it on its own:
//
//	asyncvet ./...
//
// or under go vet:
//
//	go vet -vettool=$(which asyncvet) ./...
//
// Each check can be switched off by name, as with go vet: -taskctx=false.
package main

import (
	"github.com/asyncgo/async/asyncvet"
	"golang.org/x/tools/go/analysis/multichecker"
)

func main() { multichecker.Main(asyncvet.Analyzers...) }
