package queue

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch/queue/embedded"
)

// A job opened for work that does not exist is an error naming the jobs
// there are, and nothing is created on the server.
func TestOpenExistingNamesTheJobs(t *testing.T) {
	srv := startNATS(t, embedded.Options{})
	js := connect(t, srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := OpenExisting(ctx, js, "typo")
	if !errors.Is(err, ErrNoJob) || !strings.Contains(err.Error(), "the server has no job") {
		t.Errorf("OpenExisting on an empty server: %v; want ErrNoJob saying there is no job", err)
	}
	for _, name := range []string{"beta", "alpha"} {
		if _, err := Open(ctx, js, name, testOptions); err != nil {
			t.Fatal(err)
		}
	}
	streams := func() (n int) {
		for range js.StreamNames(ctx).Name() {
			n++
		}
		return n
	}
	before := streams()
	_, err = OpenExisting(ctx, js, "typo")
	if !errors.Is(err, ErrNoJob) || !strings.Contains(err.Error(), `"typo"; the jobs there are: alpha, beta`) {
		t.Errorf("OpenExisting(typo): %v; want ErrNoJob naming alpha, beta", err)
	}
	if after := streams(); after != before {
		t.Errorf("%d streams after OpenExisting(typo), %d before; want nothing created", after, before)
	}
	job, err := OpenExisting(ctx, js, "alpha")
	if err != nil || job.Partitions != testOptions.Partitions {
		t.Errorf("OpenExisting(alpha): %v, %+v; want the job as it was created", err, job)
	}
	if jobs, err := Jobs(ctx, js); err != nil || strings.Join(jobs, " ") != "alpha beta" {
		t.Errorf("Jobs: %v, %v; want alpha beta", jobs, err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"nats://127.0.0.1:4222":                           "nats://127.0.0.1:4222",
		"nats://alice:s3cret@127.0.0.1:4222":              "nats://alice:xxxxx@127.0.0.1:4222",
		"nats://s3cret@h:4222":                            "nats://xxxxx@h:4222",
		"nats://a:s3cret@h1:4222, tls://b:s3cret@h2:4223": "nats://a:xxxxx@h1:4222,tls://b:xxxxx@h2:4223",
		"a:s3cret@h1:4222":                                "xxxxx@h1:4222",
		"nats://a:s3%cret@h:1":                            "xxxxx@h:1",
	} {
		if got := RedactURL(in); got != want || strings.Contains(got, "s3") {
			t.Errorf("RedactURL(%q) = %q; want %q", in, got, want)
		}
	}
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// At the info level a worker logs the leases it takes, hands over, loses
// and frees.
func TestWorkerLogsLeases(t *testing.T) {
	srv := startNATS(t, embedded.Options{})
	// A lease TTL of 3s rather than 1s: on a loaded machine, a 1s lease
	// can expire under a live worker, and the log then tells of leases lost
	// rather than handed over.
	ctx0, cancel0 := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel0()
	job, err := Open(ctx0, connect(t, srv.URL), "test", Options{Partitions: 8, AckWait: 6 * time.Second, LeaseTTL: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s := newSite(t, 20*time.Millisecond)
	ids := []string{"first", "late"}
	hosts := append(hostsOwnedBy("first", ids, job.Partitions, 2), hostsOwnedBy("late", ids, job.Partitions, 2)...)
	urls := s.list(40, hosts...)
	enqueue(t, job, urls)

	var log syncBuffer
	nc, js, err := Connect(srv.URL, "first")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	w := &Worker{Job: openJob(t, js, testOptions), Config: s.config(2), ID: "first", DrainTimeout: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	ws := newWorkers(t, srv.URL, s.config(2))
	collect(t, job, 40*time.Second, after(10, func() { ws.start("late") }))
	// Someone else's hand: the lease of a partition the worker holds
	// disappears under it.
	deadline := time.Now().Add(20 * time.Second)
	deleted := false
	for !deleted && time.Now().Before(deadline) {
		for p := range job.Partitions {
			if e, err := job.leases.Get(context.Background(), leaseKey(p)); err == nil && string(e.Value()) == "first" {
				deleted = job.leases.Delete(context.Background(), leaseKey(p)) == nil
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	for !strings.Contains(log.String(), "lost the lease") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	for !strings.Contains(log.String(), "freed the lease") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	<-done
	out := log.String()
	for _, want := range []string{
		"took the lease on a partition",
		"handing a partition over to its new owner",
		"to=late",
		"freed the lease on a partition",
		"lost the lease on a partition",
		"handing a partition over: the worker is stopping",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the worker's log has no %q:\n%s", want, out)
		}
	}
}

// Status counts what is queued, in flight and recorded, names each
// partition's holder and paused hosts, the workers alive with their
// counts, and the rate.
func TestJobStatus(t *testing.T) {
	srv := startNATS(t, embedded.Options{})
	job := openJob(t, connect(t, srv.URL), testOptions)
	ctx := context.Background()
	st, err := job.Status(ctx)
	if err != nil || st.Enqueued || st.Queued != 0 || len(st.Partitions) != job.Partitions {
		t.Fatalf("status of an empty job: %+v, %v", st, err)
	}
	s := newSite(t, 50*time.Millisecond)
	urls := append(s.list(10, "a.test", "b.test"), "http://c.test:0/bad-port")
	enqueue(t, job, urls)
	until := time.Now().Add(time.Hour)
	pa := partitionOf("http://a.test/", job.Partitions)
	if err := job.setPauses(ctx, pa, map[string]time.Time{"a.test:80": until}); err != nil {
		t.Fatal(err)
	}
	st, err = job.Status(ctx)
	if err != nil || !st.Enqueued || st.Total != 21 || st.Queued != 21 || st.InFlight != 0 || st.Recorded != 0 {
		t.Fatalf("status after enqueue: %+v, %v; want 21 lines queued", st, err)
	}
	if p := st.Partitions[pa].Paused; !p["a.test:80"].Equal(until.Round(0)) {
		t.Errorf("partition %d's pauses: %v; want a.test:80 until %v", pa, p, until)
	}
	if err := job.setPauses(ctx, pa, nil); err != nil {
		t.Fatal(err)
	}
	ws := newWorkers(t, srv.URL, s.config(4))
	ws.start("w1")
	var mid *Status
	collect(t, job, 30*time.Second, after(5, func() {
		mid, _ = job.Status(ctx)
	}))
	if mid == nil || mid.Recorded < 5 || len(mid.Workers) != 1 || mid.Workers[0].ID != "w1" {
		t.Errorf("status mid-run: %+v; want at least 5 recorded and worker w1 alive", mid)
	}
	held := 0
	for _, p := range mid.Partitions {
		if p.Holder == "w1" {
			held++
		}
	}
	if held != job.Partitions {
		t.Errorf("w1 holds %d of %d partitions mid-run", held, job.Partitions)
	}
	// The worker reports its counts every quarter lease TTL.
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err = job.Status(ctx)
		if err == nil && len(st.Workers) == 1 && st.Workers[0].Stored == 21 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || st.Recorded != 21 || st.Queued != 0 || st.InFlight != 0 || st.Rate <= 0 || st.Failed != 1 {
		t.Errorf("status at the end: %+v, %v; want 21 recorded, 1 failed, nothing left, a rate", st, err)
	}
	if len(st.Workers) != 1 || st.Workers[0].Stored != 21 || st.Workers[0].Failed != 1 {
		t.Errorf("workers at the end: %+v; want w1 with 21 stored, 1 failed", st.Workers)
	}
}

// Options that cannot make a job are refused before anything is created;
// the defaults are those of a zero Options.
func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{{Partitions: -1}, {Partitions: 1025}, {Replicas: 6}, {AckWait: -time.Second}} {
		if err := o.Validate(); !errors.Is(err, ErrBadOptions) {
			t.Errorf("%+v: %v; want ErrBadOptions", o, err)
		}
	}
	if err := (Options{}).Validate(); err != nil {
		t.Errorf("zero options: %v", err)
	}
	if d := DefaultOptions(); d.Partitions != 16 || d.Replicas != 1 || d.DuplicateWindow != 10*time.Minute || d.AckWait != 30*time.Second || d.LeaseTTL != 10*time.Second {
		t.Errorf("defaults %+v", d)
	}
	srv := startNATS(t, embedded.Options{})
	js := connect(t, srv.URL)
	if _, err := Open(context.Background(), js, "bad", Options{Partitions: 5000}); !errors.Is(err, ErrBadOptions) {
		t.Errorf("Open with 5000 partitions: %v", err)
	}
	if jobs, _ := Jobs(context.Background(), js); len(jobs) != 0 {
		t.Errorf("jobs %v after a refused Open; want none", jobs)
	}
}
