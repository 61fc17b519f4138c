// Command floor is the fetch benchmark's floor: the least code that fetches a
// URL list over net/http with at most N requests in flight — a buffered
// channel as the semaphore, one goroutine per URL, bodies read and discarded.
// Whatever a real fetcher adds (records, retries, progress) is measured
// against it.
//
// It reads one URL per line from -i (a file, or - for stdin; blank lines and
// # comments are skipped) and prints one summary line on stdout:
//
//	urls=20000 ok=20000 failed=0 bytes=20000000 wall=1.234s rps=16207.5
//
// Usage:
//
//	floor [-c 64] [-timeout 30s] -i FILE|-
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	input := flag.String("i", "", "URL list: a file, or - for stdin (required)")
	concurrency := flag.Int("c", 64, "requests in flight at most")
	timeout := flag.Duration("timeout", 30*time.Second, "per-request timeout")
	flag.Parse()
	if *input == "" || *concurrency < 1 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: floor [-c N] [-timeout D] -i FILE|-")
		os.Exit(2)
	}
	in := os.Stdin
	if *input != "-" {
		f, err := os.Open(*input)
		if err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(2)
		}
		defer f.Close()
		in = f
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	s, err := fetchAll(ctx, newClient(*concurrency, *timeout), in, *concurrency)
	wall := time.Since(start)
	fmt.Printf("urls=%d ok=%d failed=%d bytes=%d wall=%.3fs rps=%.1f\n",
		s.urls, s.ok, s.failed, s.bytes, wall.Seconds(), float64(s.urls)/wall.Seconds())
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	if s.failed > 0 {
		os.Exit(1)
	}
}

// newClient sizes the idle pool to the concurrency: net/http keeps only two
// idle connections per host by default, and a fetcher that closes the rest
// after every request measures the kernel's handshakes, not itself.
func newClient(concurrency int, timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = concurrency
	tr.MaxIdleConnsPerHost = concurrency
	return &http.Client{Transport: tr, Timeout: timeout}
}

// summary counts what fetchAll did.
type summary struct {
	urls, ok, failed, bytes int64
}

// fetchAll GETs every URL listed in r with at most limit requests in flight.
// A URL counts as ok when it answers 2xx and its body reads to the end. The
// semaphore is taken before a goroutine starts, so memory stays bounded
// however long the list is.
func fetchAll(ctx context.Context, client *http.Client, r io.Reader, limit int) (summary, error) {
	var (
		sem                  = make(chan struct{}, limit)
		wg                   sync.WaitGroup
		ok, failed, received atomic.Int64
		urls                 int64
	)
	sc := bufio.NewScanner(r)
	var err error
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		// Checked first because select picks at random when a slot frees up
		// at the moment of cancellation.
		if err = ctx.Err(); err != nil {
			break
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err != nil {
			break
		}
		urls++
		wg.Add(1)
		go func(url string) {
			defer func() { <-sem; wg.Done() }()
			n, err := fetch(ctx, client, url)
			received.Add(n)
			if err != nil {
				failed.Add(1)
				return
			}
			ok.Add(1)
		}(line)
	}
	wg.Wait()
	if err == nil {
		err = sc.Err()
	}
	return summary{urls: urls, ok: ok.Load(), failed: failed.Load(), bytes: received.Load()}, err
}

var errStatus = errors.New("status not 2xx")

func fetch(ctx context.Context, client *http.Client, url string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return n, err
	}
	if resp.StatusCode/100 != 2 {
		return n, fmt.Errorf("%w: %s", errStatus, resp.Status)
	}
	return n, nil
}
