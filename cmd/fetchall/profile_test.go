package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
)

// TestProfileRun runs fetchall in the test process with the arguments in
// FETCHALL_PROFILE_ARGS, so that go test's -cpuprofile and -memprofile
// profile the command itself against a server of one's choice (as
// BENCHMARKS.md does with bench/fetch/server). Without the variable it is
// skipped. It runs the command as main does, so SIGINT or SIGTERM stops
// it gracefully and the profile is still written: that is how a command
// that runs until stopped, fetchall worker, is profiled (bench/queue/run.sh
// with PROFILE=DIR).
//
//	FETCHALL_PROFILE_ARGS="-q -c 64 -i list.txt -o out.jsonl" \
//	    go test -run TestProfileRun -cpuprofile cpu.prof ./cmd/fetchall
func TestProfileRun(t *testing.T) {
	args := os.Getenv("FETCHALL_PROFILE_ARGS")
	if args == "" {
		t.Skip("set FETCHALL_PROFILE_ARGS to the fetchall arguments to profile")
	}
	var stderr strings.Builder
	code := runMain(context.Background(), strings.Fields(args), strings.NewReader(""), io.Discard, &stderr)
	if code != exitOK && code != exitInterrupted && code != 128+15 { // stopped by SIGINT or SIGTERM
		t.Fatalf("fetchall %s: exit %d\n%s", args, code, stderr.String())
	}
}
