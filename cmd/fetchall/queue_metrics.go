package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/asyncgo/async/debug/taskhttp"
	"github.com/asyncgo/async/fetch/queue"
)

// serveWorker serves a worker's task tree at /debug/tasks and its metrics,
// in the Prometheus text format, at /metrics, on addr, and prints their
// URLs on w. stop shuts the server down.
func serveWorker(addr string, wk *queue.Worker, w io.Writer) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/debug/tasks", taskhttp.Handler())
	mux.HandleFunc("/metrics", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		writeMetrics(rw, wk)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // returns when stop closes the listener
	}()
	tasks := tasksURL(ln.Addr())
	fmt.Fprintf(w, "task tree at %s, metrics at %s\n", tasks, strings.TrimSuffix(tasks, "/debug/tasks")+"/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
		<-done
	}, nil
}

// writeMetrics writes the worker's counts in the Prometheus text format.
func writeMetrics(w io.Writer, wk *queue.Worker) {
	st := wk.Stats()
	job := ""
	if wk.Job != nil {
		job = wk.Job.Name
	}
	labels := fmt.Sprintf("{job=%q,worker=%q}", job, wk.ID)
	for _, m := range []struct {
		name, kind, help string
		v                int64
	}{
		{"fetchall_worker_fetched_total", "counter", "URLs fetched (a record made, failed or not).", st.Fetched},
		{"fetchall_worker_failed_total", "counter", "URLs whose fetch failed.", st.Failed},
		{"fetchall_worker_stored_total", "counter", "Records the results stream took as new.", st.Stored},
		{"fetchall_worker_duplicates_total", "counter", "Records the results stream dropped as duplicates of a record another worker stored first.", st.Duplicates},
		{"fetchall_worker_store_retries_total", "counter", "Records published again after a failed store.", st.StoreRetries},
		{"fetchall_worker_requeued_total", "counter", "URLs given back to the queue.", st.Requeued},
		{"fetchall_worker_in_flight", "gauge", "URLs held, unacknowledged.", st.InFlight},
		{"fetchall_worker_leases", "gauge", "Partitions whose lease the worker holds.", st.Leases},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s%s %d\n", m.name, m.help, m.name, m.kind, m.name, labels, m.v)
	}
}
