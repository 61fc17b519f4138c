package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestFetchAllCountsEveryURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "hello")
	}))
	defer srv.Close()

	var list strings.Builder
	list.WriteString("# a comment\n\n")
	for range 30 {
		fmt.Fprintln(&list, srv.URL+"/ok")
	}
	fmt.Fprintln(&list, srv.URL+"/missing")
	fmt.Fprintln(&list, "http://127.0.0.1:1/refused")

	s, err := fetchAll(context.Background(), newClient(4, 5*time.Second), strings.NewReader(list.String()), 4)
	if err != nil {
		t.Fatal(err)
	}
	want := summary{urls: 32, ok: 30, failed: 2, bytes: 30*5 + int64(len("404 page not found\n"))}
	if s != want {
		t.Errorf("summary %+v, want %+v", s, want)
	}
}

func TestFetchAllRespectsLimit(t *testing.T) {
	const limit = 3
	var inFlight, peak atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond) // long enough for requests to overlap
	}))
	defer srv.Close()

	list := strings.Repeat(srv.URL+"\n", 20)
	s, err := fetchAll(context.Background(), newClient(limit, 5*time.Second), strings.NewReader(list), limit)
	if err != nil || s.ok != 20 {
		t.Fatalf("summary %+v, err %v", s, err)
	}
	if got := peak.Load(); got > limit {
		t.Errorf("%d requests in flight at once, limit %d", got, limit)
	}
}

func TestFetchAllStopsOnCancel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	list := strings.Repeat(srv.URL+"\n", 10)
	time.AfterFunc(20*time.Millisecond, cancel)
	s, err := fetchAll(ctx, newClient(2, time.Minute), strings.NewReader(list), 2)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if s.ok != 0 || s.failed != s.urls || s.urls > 2 {
		t.Errorf("summary %+v: want the two requests in flight failed and nothing more dispatched", s)
	}
}
