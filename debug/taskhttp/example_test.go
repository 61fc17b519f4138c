package taskhttp_test

import (
	"context"
	"log"
	"net/http"

	"github.com/asyncgo/async"
	"github.com/asyncgo/async/debug/taskhttp"
)

// Serve the task tree of a program on a private mux; a blank import of the
// package mounts the same handler on http.DefaultServeMux instead.
func Example() {
	mux := http.NewServeMux()
	mux.Handle("/debug/tasks", taskhttp.Handler())
	srv := &http.Server{Addr: "127.0.0.1:6060", Handler: mux}
	go func() { _ = srv.ListenAndServe() }()

	err := async.Run(context.Background(), func(ctx context.Context) error {
		// The program's work; open http://127.0.0.1:6060/debug/tasks
		// in a browser to watch it.
		return nil
	})
	_ = srv.Shutdown(context.Background())
	if err != nil {
		log.Fatal(err)
	}
}
