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
// skipped.
//
//	FETCHALL_PROFILE_ARGS="-q -c 64 -i list.txt -o out.jsonl" \
//	    go test -run TestProfileRun -cpuprofile cpu.prof ./cmd/fetchall
func TestProfileRun(t *testing.T) {
	args := os.Getenv("FETCHALL_PROFILE_ARGS")
	if args == "" {
		t.Skip("set FETCHALL_PROFILE_ARGS to the fetchall arguments to profile")
	}
	var stderr strings.Builder
	if code := run(context.Background(), strings.Fields(args), strings.NewReader(""), io.Discard, &stderr); code != exitOK {
		t.Fatalf("fetchall %s: exit %d\n%s", args, code, stderr.String())
	}
}
