//go:build !clusterdemo

package main

import (
	"context"
	"fmt"
	"io"
)

// clusterDemoCommand is the command that runs cluster-demo.
const clusterDemoCommand = "go run -tags clusterdemo ./cmd/fetchall cluster-demo"

// runClusterDemo, in a fetchall built without -tags clusterdemo, says how
// to run the demo. The embedded NATS server it needs is nats-server
// itself: built in, it made a cold build of fetchall take 70 s of CPU and
// 1.1 GB instead of a fraction of that, for every user of the local run,
// which never uses it. The queue subcommands (enqueue, worker, collect)
// need only the NATS client and are always built.
func runClusterDemo(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintf(stderr, "fetchall cluster-demo: this fetchall is built without the embedded NATS server the demo runs on\n"+
		"(it would make every build of fetchall several times slower); from the repository, run:\n\n    %s\n", clusterDemoCommand)
	return exitUsage
}
