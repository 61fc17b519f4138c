package queue

import (
	"context"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/asyncgo/async/fetch/queue/embedded"
	"github.com/nats-io/nats.go"
)

// rolePermissions reads the permissions of the three roles from the
// example in docs/cluster.md, for job: the test runs what the
// documentation says.
func rolePermissions(t *testing.T, job string) map[string]embedded.Permissions {
	t.Helper()
	doc, err := os.ReadFile("../../docs/cluster.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)  (ENQUEUE|WORKER|COLLECT) = \{\s*publish\s*=\s*\[(.*?)\]\s*subscribe\s*=\s*\[(.*?)\]`)
	quoted := regexp.MustCompile(`"([^"]+)"`)
	list := func(s string) (out []string) {
		for _, m := range quoted.FindAllStringSubmatch(s, -1) {
			out = append(out, strings.ReplaceAll(m[1], "JOB", job))
		}
		return out
	}
	perms := map[string]embedded.Permissions{}
	for _, m := range block.FindAllStringSubmatch(string(doc), -1) {
		perms[strings.ToLower(m[1])] = embedded.Permissions{Publish: list(m[2]), Subscribe: list(m[3])}
	}
	if len(perms) != 3 {
		t.Fatalf("found the permissions of %d roles in docs/cluster.md; want 3", len(perms))
	}
	return perms
}

// The NATS permissions docs/cluster.md gives each role let enqueue, a
// worker and collect run a job, and keep each to its own subjects: a
// worker cannot publish work, collect cannot publish records.
func TestDocumentedPermissions(t *testing.T) {
	srv := startNATS(t, embedded.Options{
		Users:       map[string]string{"enqueue": "e", "worker": "w", "collect": "c"},
		Permissions: rolePermissions(t, "test"),
	})
	as := func(user, pass string) *Job {
		nc, js, err := ConnectWith(context.Background(), srv.URL, user, ConnectOptions{User: user, Password: pass})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var job *Job
		if user == "enqueue" {
			job, err = Open(ctx, js, "test", testOptions)
		} else {
			job, err = OpenExisting(ctx, js, "test")
		}
		if err != nil {
			t.Fatalf("%s opens the job: %v", user, err)
		}
		return job
	}
	ejob := as("enqueue", "e")
	s := newSite(t, time.Millisecond)
	urls := s.list(10, "a.test", "b.test")
	enqueue(t, ejob, urls)

	wjob := as("worker", "w")
	w := &Worker{Job: wjob, Config: s.config(4), ID: "w1", DrainTimeout: time.Second,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	cjob := as("collect", "c")
	_, recs := collect(t, cjob, 40*time.Second, CollectOptions{})
	checkExactlyOnce(t, urls, recs)
	// The worker counts a record once the server has acknowledged it,
	// which may be just after collect has read it.
	deadline := time.Now().Add(10 * time.Second)
	for w.Stats().Stored != int64(len(urls)) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if st := w.Stats(); st.Stored != int64(len(urls)) {
		t.Errorf("worker stats %+v; want %d stored", st, len(urls))
	}

	pctx, pcancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer pcancel()
	forged := nats.NewMsg(wjob.workSubject(0))
	forged.Data = []byte("http://a.test/forged")
	forged.Header.Set(hdrLine, "1")
	if _, err := wjob.js.PublishMsg(pctx, forged); err == nil {
		t.Error("the worker published a work message")
	}
	rec := nats.NewMsg(cjob.resultsSubject())
	rec.Data = []byte("{}")
	if _, err := cjob.js.PublishMsg(pctx, rec); err == nil {
		t.Error("collect published a record")
	}
	cancel()
	<-done
}
