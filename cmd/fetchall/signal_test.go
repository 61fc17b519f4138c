package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch"
)

// TestSIGTERMToProcessAndGroupIsOneGracefulStop does what coreutils timeout
// does when its time is up: SIGTERM to the command, then to its whole
// process group, so the command gets it twice. fetchall must stop once,
// gracefully: every URL read has its record, the summary is printed, the
// exit status is 143. Before, the second delivery was taken as a second
// Ctrl-C and the process exited at once, without its summary and with
// records missing, whenever it arrived before the stop was over.
//
// Reading stdin from a pipe holds the stop open (a blocked read cannot be
// cancelled) until the test closes the pipe, so the second SIGTERM always
// arrives during the stop.
func TestSIGTERMToProcessAndGroupIsOneGracefulStop(t *testing.T) {
	base, hanging := hangCounter(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	cmd := exec.Command(os.Args[0], "-i", "-", "-c", "3")
	cmd.Stdin = pr
	cmd, out, errb := startInGroup(t, cmd)
	for i := range 3 {
		fmt.Fprintf(pw, "%s/hang?i=%d\n", base, i)
	}
	waitFor(t, "three hanging requests", func() bool { return hanging.Load() == 3 })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the cancellation of the requests", func() bool { return hanging.Load() == 0 })
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	select {
	case <-exited:
		t.Fatalf("the SIGTERM to the group ended the process (exit %d) before its stop was over; stderr:\n%s", cmd.ProcessState.ExitCode(), errb)
	case <-time.After(300 * time.Millisecond):
	}
	pw.Close() // the stop can end now
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatal("the process did not end within 20s of its input's end")
	}
	if code := cmd.ProcessState.ExitCode(); code != 143 {
		t.Fatalf("exit %d, want 143; stderr:\n%s", code, errb)
	}
	recs := records(t, out.String())
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3:\n%s", len(recs), out)
	}
	for _, r := range recs {
		if r.Outcome != fetch.Cancelled {
			t.Errorf("record %+v", r)
		}
	}
	if !strings.Contains(errb.String(), "3 URLs in") {
		t.Fatalf("no summary; stderr:\n%s", errb)
	}
}

// TestSIGINTExits130AndSIGTERM143 checks the status of a graceful stop
// by each signal.
func TestSIGINTExits130AndSIGTERM143(t *testing.T) {
	base, hanging := hangCounter(t)
	file := writeFile(t, "hang.txt", base+"/hang\n")
	for sig, want := range map[syscall.Signal]int{syscall.SIGINT: 130, syscall.SIGTERM: 143} {
		cmd, _, errb := startInGroup(t, exec.Command(os.Args[0], "-i", file))
		waitFor(t, "the request", func() bool { return hanging.Load() == 1 })
		cmd.Process.Signal(sig)
		waitExit(t, cmd)
		if code := cmd.ProcessState.ExitCode(); code != want {
			t.Errorf("%v: exit %d, want %d; stderr:\n%s", sig, code, want, errb)
		}
		waitFor(t, "the request to end", func() bool { return hanging.Load() == 0 })
	}
}

// startInGroup starts cmd, this test binary in the role of fetchall, as
// the leader of a process group of its own, as a shell starts a job.
func startInGroup(t *testing.T, cmd *exec.Cmd) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd.Env = append(os.Environ(), "FETCHALL_MAIN=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out, &errb
}

// waitExit waits for cmd to end, killing it after 20s.
func waitExit(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("the process did not end within 20s of the signal")
	}
}
