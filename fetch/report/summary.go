package report

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/asyncgo/async/fetch"
	"github.com/asyncgo/async/internal/words"
)

// Summary returns the summary of a run as a few lines for a person. URLs
// are shown through [ShortenURL] and durations through [FormatDuration].
func Summary(s *fetch.Summary) string {
	var b strings.Builder
	state := ""
	if s.Interrupted {
		state = " (interrupted: partial)"
	}
	fmt.Fprintf(&b, "%s in %s%s\n", Plural(s.Inputs, "URL"), FormatDuration(s.Wall), state)
	fmt.Fprintf(&b, "  outcomes   ok %d · http errors %d · errors %d · invalid %d · cancelled %d · skipped %d\n",
		s.Outcomes[fetch.OK], s.Outcomes[fetch.HTTPError], s.Outcomes[fetch.Failed], s.Outcomes[fetch.Invalid], s.Outcomes[fetch.Cancelled], s.Outcomes[fetch.Skipped])
	var classes []string
	for _, c := range []string{"1xx", "2xx", "3xx", "4xx", "5xx", "none"} {
		if n := s.Statuses[c]; n > 0 {
			classes = append(classes, fmt.Sprintf("%s %d", c, n))
		}
	}
	if len(classes) > 0 {
		fmt.Fprintf(&b, "  statuses   %s\n", strings.Join(classes, " · "))
	}
	if len(s.ErrorKinds) > 0 {
		kinds := slices.Sorted(maps.Keys(s.ErrorKinds))
		slices.SortStableFunc(kinds, func(a, b string) int { return cmp.Compare(s.ErrorKinds[b], s.ErrorKinds[a]) })
		parts := make([]string, len(kinds))
		for i, k := range kinds {
			parts[i] = fmt.Sprintf("%s %d", k, s.ErrorKinds[k])
		}
		fmt.Fprintf(&b, "  failures   %s\n", strings.Join(parts, " · "))
	}
	// A request is a URL fetched, all its attempts together (Measured),
	// here as in the hosts' counts: with none, there is no time or
	// throughput to tell.
	if s.Measured() > 0 {
		fmt.Fprintf(&b, "  time       %s of %s in %s wall: concurrency gain %.1f×\n", FormatDuration(s.Busy), Plural(s.Measured(), "request"), FormatDuration(s.Wall), s.Gain())
		fmt.Fprintf(&b, "  throughput %.1f requests/s, %s/s\n", s.Throughput(), sizeString(int64(float64(s.Bytes)/max(s.Wall.Seconds(), 1e-9))))
	}
	if hosts := s.Hosts(); len(hosts) > 1 {
		for i, h := range hosts[:min(len(hosts), 5)] {
			label := ""
			if i == 0 {
				label = fmt.Sprintf("hosts (%d)", len(hosts))
			}
			fmt.Fprintf(&b, "  %-10s %s: %s, %d failed, %d retried, mean %s, max %s\n", label, ShortenURL(h.Host, shortURL),
				Plural(h.Requests, "request"), h.Failed, h.Retried, FormatDuration(h.Busy/time.Duration(h.Requests)), FormatDuration(h.Max))
		}
	}
	if s.Measured() > 0 {
		fmt.Fprintf(&b, "  latency    p50 %s · p90 %s · p99 %s · max %s\n",
			FormatDuration(s.Percentile(50)), FormatDuration(s.Percentile(90)), FormatDuration(s.Percentile(99)), FormatDuration(s.Max()))
		if s.Fastest != nil {
			fmt.Fprintf(&b, "  fastest    %s %s%s\n", FormatDuration(s.Fastest.Duration), ShortenURL(s.Fastest.URL, shortURL), attemptsNote(s.Fastest))
		}
		for i, r := range s.SlowestN {
			label := ""
			if i == 0 {
				label = "slowest"
			}
			what := strconv.Itoa(r.Status)
			if r.Error != "" {
				what = r.ErrorKind
			}
			fmt.Fprintf(&b, "  %-10s %s %s (%s%s)\n", label, FormatDuration(r.Duration), ShortenURL(r.URL, shortURL), what, attemptsNote(&r))
		}
	}
	return b.String()
}

// shortURL is the longest URL the summary shows whole.
const shortURL = 100

// attemptsNote says how many attempts a record took, when more than one:
// its duration then includes the waits between them.
func attemptsNote(r *fetch.Record) string {
	if r.Attempts < 2 {
		return ""
	}
	return fmt.Sprintf(", %d attempts", r.Attempts)
}

// Plural returns n and the noun, in the plural unless n is 1: "1 URL",
// "2 URLs", "3 retries".
func Plural(n int64, noun string) string { return words.Count(n, noun) }

// FormatDuration writes a duration the one way fetchall shows durations to
// people: milliseconds below a second (0.25ms, 12.5ms, 850ms), seconds
// to two decimals below a minute (1.25s, 3s), then minutes and seconds
// (2m05s, 1h02m05s).
func FormatDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + FormatDuration(-d)
	case d < 10*time.Millisecond:
		return strconv.FormatFloat(float64(d.Round(10*time.Microsecond))/1e6, 'f', -1, 64) + "ms"
	case d < 100*time.Millisecond:
		return strconv.FormatFloat(float64(d.Round(100*time.Microsecond))/1e6, 'f', -1, 64) + "ms"
	case d < time.Second:
		return strconv.FormatInt(d.Round(time.Millisecond).Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(float64(d.Round(10*time.Millisecond))/1e9, 'f', -1, 64) + "s"
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	d = d.Round(time.Second)
	return fmt.Sprintf("%dh%02dm%02ds", int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second))
}

func sizeString(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
