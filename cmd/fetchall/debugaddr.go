package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/asyncgo/async/debug/taskhttp"
)

// serveTasks serves the live task tree of the run at addr's /debug/tasks
// (see listenAddr),
// as text for curl and as a page that refreshes itself for a browser, and
// prints its URL on w. stop shuts the server down.
func serveTasks(addr string, w io.Writer) (stop func(), err error) {
	ln, err := net.Listen("tcp", listenAddr(addr))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/debug/tasks", taskhttp.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // returns when stop closes the listener
	}()
	fmt.Fprintf(w, "task tree at %s (open it in a browser, or curl it)\n", tasksURL(ln.Addr()))
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
		<-done
	}, nil
}

// tasksURL is where a browser on this machine finds /debug/tasks: a
// listener on every address (":6060") is reached through localhost.
func tasksURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String() + "/debug/tasks"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/debug/tasks"
}

// debugAddrUsage is the -debug-addr flag's help, for the run and the demo.
const debugAddrUsage = "serve the run's live task tree at http://`ADDR`/debug/tasks while it runs, like localhost:6060; " +
	"a port alone (:6060) listens on loopback (127.0.0.1) only: anyone who reaches it sees the URLs in flight " +
	"(passwords redacted), so name another interface, such as 0.0.0.0:6060, only on purpose"

// listenAddr is where -debug-addr listens: an address without a host
// (":6060") means the loopback interface, not every interface as it would
// for net.Listen, so that the task page is not served to the network by
// default.
func listenAddr(addr string) string {
	if host, port, err := net.SplitHostPort(addr); err == nil && host == "" {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}
