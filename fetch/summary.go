package fetch

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Summary describes a run: counts, timing, throughput and latency. Its
// memory is fixed whatever the length of the list (latency percentiles come
// from a log-scale histogram with 1% resolution), unless
// [Config.KeepRecords] asked it to keep every record.
type Summary struct {
	Inputs      int64             // records, skipped inputs included
	Outcomes    map[Outcome]int64 // count per outcome
	Statuses    map[string]int64  // count per status class ("2xx", …, "none")
	ErrorKinds  map[string]int64  // count per error kind, for records that failed
	Bytes       int64             // body bytes read
	Wall        time.Duration     // from the start of the run to its end
	Busy        time.Duration     // the sum of all request durations
	Fastest     *Record           // the quickest OK record, nil if none
	Slowest     *Record           // the slowest fetched record, nil if none
	SlowestN    []Record          // the SlowestCount slowest, slowest first
	Interrupted bool              // the run was cancelled before its end
	// LastLine is the highest input line that has a record. Every input
	// read has its record, so when AllRead is false, the inputs after
	// LastLine are the ones the run did not read (and a resumed run
	// fetches).
	LastLine int
	AllRead  bool // the source was read to its end

	start   time.Time
	keep    bool
	records []Record
	hist    histogram
	hosts   map[string]*HostStats
	// lastHost is the entry of the last record's host, and lastPrefix
	// the start of that record's URL up to the end of its host: a record
	// whose URL starts the same way, the host ending there too, has the
	// same host, so the run of records of one host finds its entry
	// without working out the host and looking it up.
	lastHost   *HostStats
	lastPrefix string
}

// HostStats is what a run saw of one host.
type HostStats struct {
	Host     string        // host[:port] as written in the URLs
	Requests int64         // fetched records (not invalid, skipped or cancelled)
	Failed   int64         // of which failed
	Retried  int64         // of which needed more than one attempt
	Busy     time.Duration // sum of their durations
	Max      time.Duration // the longest
}

// maxHosts caps the hosts a summary tells apart; the rest are counted
// together under otherHosts, so a list of distinct hosts stays in bounded
// memory.
const (
	maxHosts   = 10000
	otherHosts = "(other hosts)"
)

func newSummary(start time.Time, keep bool) *Summary {
	return &Summary{start: start, keep: keep, Outcomes: map[Outcome]int64{}, Statuses: map[string]int64{},
		ErrorKinds: map[string]int64{}, hosts: map[string]*HostStats{}}
}

// add counts a record; the run calls it one record at a time.
func (s *Summary) add(rec *Record) {
	s.Inputs++
	s.LastLine = max(s.LastLine, rec.Line)
	s.Outcomes[rec.Outcome]++
	if rec.Outcome == Skipped {
		return
	}
	if rec.Failed() {
		s.ErrorKinds[rec.ErrorKind]++
	}
	if s.keep {
		s.records = append(s.records, *rec)
	}
	if rec.Outcome == Invalid {
		return
	}
	s.Statuses[rec.StatusClass()]++
	s.Bytes += rec.Bytes
	if rec.Outcome == Cancelled || rec.Attempts == 0 {
		return
	}
	s.Busy += rec.Duration
	s.hist.add(rec.Duration)
	s.addHost(rec)
	if rec.Outcome == OK && (s.Fastest == nil || rec.Duration < s.Fastest.Duration) {
		c := *rec
		s.Fastest = &c
	}
	if s.Slowest == nil || rec.Duration > s.Slowest.Duration {
		c := *rec
		s.Slowest = &c
	}
	if len(s.SlowestN) < SlowestCount || rec.Duration > s.SlowestN[len(s.SlowestN)-1].Duration {
		// After every record as slow: among equals the first seen stays first.
		i := sort.Search(len(s.SlowestN), func(i int) bool { return s.SlowestN[i].Duration < rec.Duration })
		s.SlowestN = slices.Insert(s.SlowestN, i, *rec)
		if len(s.SlowestN) > SlowestCount {
			s.SlowestN = s.SlowestN[:SlowestCount]
		}
	}
}

func (s *Summary) addHost(rec *Record) {
	h := s.lastHost
	if !sameHostPrefix(rec.URL, s.lastPrefix) {
		h = s.hostOf(rec.URL)
	}
	h.Requests++
	if rec.Failed() {
		h.Failed++
	}
	if rec.Attempts > 1 {
		h.Retried++
	}
	h.Busy += rec.Duration
	h.Max = max(h.Max, rec.Duration)
}

// sameHostPrefix reports whether url has the host of the URL that prefix
// is the start of, up to the end of its host (see hostPrefix); an empty
// prefix has none.
func sameHostPrefix(url, prefix string) bool {
	if prefix == "" || len(url) < len(prefix) || url[:len(prefix)] != prefix {
		return false
	}
	if len(url) == len(prefix) {
		return true
	}
	c := url[len(prefix)]
	return c == '/' || c == '?' || c == '#'
}

// hostPrefix returns the start of url up to the end of its host, as
// Record.Host finds it, or "" for a URL without "://" (whose host a
// longer URL of the same start might not share).
func hostPrefix(url string) string {
	i := strings.Index(url, "://")
	if i < 0 {
		return ""
	}
	if j := strings.IndexAny(url[i+3:], "/?#"); j >= 0 {
		return url[:i+3+j]
	}
	return url
}

// hostOf returns the entry of url's host, made if need be, and notes it
// as the last host.
func (s *Summary) hostOf(url string) *HostStats {
	name := (&Record{URL: url}).Host()
	h := s.hosts[name]
	if h == nil {
		if len(s.hosts) >= maxHosts {
			name = otherHosts
			h = s.hosts[name]
		}
		if h == nil {
			h = &HostStats{Host: strings.Clone(name)} // not a slice of the URL, which it would keep
			s.hosts[h.Host] = h
		}
	}
	s.lastHost, s.lastPrefix = h, hostPrefix(url)
	return h
}

// Hosts returns what the run saw of each host, most requested first.
func (s *Summary) Hosts() []HostStats {
	out := make([]HostStats, 0, len(s.hosts))
	for _, h := range s.hosts {
		out = append(out, *h)
	}
	slices.SortFunc(out, func(a, b HostStats) int {
		if c := cmp.Compare(b.Requests, a.Requests); c != 0 {
			return c
		}
		return cmp.Compare(a.Host, b.Host)
	})
	return out
}

// SlowestCount is how many of the slowest records a summary keeps and
// names: the URLs a person looks at first.
const SlowestCount = 5

func (s *Summary) finish(end time.Time) { s.Wall = end.Sub(s.start) }

// Failures returns how many inputs failed: HTTP errors, other errors and
// invalid URLs.
func (s *Summary) Failures() int64 {
	return s.Outcomes[HTTPError] + s.Outcomes[Failed] + s.Outcomes[Invalid]
}

// Measured returns how many records have a duration (fetched, whatever the
// result, and not cancelled): the requests of the run. A request, in the
// summary, is one URL fetched, all its attempts together; invalid,
// skipped and cancelled inputs are none.
func (s *Summary) Measured() int64 { return s.hist.n }

// Gain returns the sum of request durations divided by the wall time: how
// many times faster the run was than fetching one URL after another.
func (s *Summary) Gain() float64 {
	if s.Wall <= 0 {
		return 0
	}
	return float64(s.Busy) / float64(s.Wall)
}

// Throughput returns requests (see [Summary.Measured]) per second of wall
// time.
func (s *Summary) Throughput() float64 {
	if s.Wall <= 0 {
		return 0
	}
	return float64(s.hist.n) / s.Wall.Seconds()
}

// Percentile returns the duration below which p percent (0–100) of the
// measured requests fall, within 1%, or 0 if none was measured.
func (s *Summary) Percentile(p float64) time.Duration { return s.hist.percentile(p) }

// Max returns the longest request duration.
func (s *Summary) Max() time.Duration { return s.hist.max }

// Records returns the kept records sorted from fastest to slowest (records
// without a duration, such as invalid ones, last, in input order): one per
// input, skipped inputs excepted, so that with the skipped ones they make
// Inputs. It is empty unless [Config.KeepRecords] was set.
func (s *Summary) Records() []Record {
	out := slices.Clone(s.records)
	slices.SortStableFunc(out, func(a, b Record) int {
		am, bm := a.Attempts > 0 && a.Outcome != Cancelled, b.Attempts > 0 && b.Outcome != Cancelled
		if am != bm {
			if am {
				return -1
			}
			return 1
		}
		if am {
			if c := cmp.Compare(a.Duration, b.Duration); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.Line, b.Line)
	})
	return out
}

// histogram counts durations in buckets growing by 1%, from 1µs to about
// 3 hours: about 2,400 counters, whatever the number of requests.
type histogram struct {
	counts   [histBuckets]int64
	n        int64
	min, max time.Duration
}

const (
	histGrowth  = 1.01
	histBuckets = 2400
)

var histLogGrowth = math.Log(histGrowth)

func bucketOf(d time.Duration) int {
	us := float64(d) / float64(time.Microsecond)
	if us <= 1 {
		return 0
	}
	return min(int(math.Ceil(math.Log(us)/histLogGrowth)), histBuckets-1)
}

func (h *histogram) add(d time.Duration) {
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
	h.counts[bucketOf(d)]++
}

func (h *histogram) percentile(p float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(p / 100 * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			d := time.Duration(math.Pow(histGrowth, float64(i)) * float64(time.Microsecond))
			return min(max(d, h.min), h.max)
		}
	}
	return h.max
}
