package fetch

import (
	"testing"
	"time"
)

// A summary gathered record by record counts what Run would have counted.
func TestSummaryGathered(t *testing.T) {
	start := time.Now()
	s := NewSummary(start, true)
	s.Add(&Record{Line: 1, URL: "http://a.example/x", Outcome: OK, Status: 200, Bytes: 10, Attempts: 1, Duration: 20 * time.Millisecond})
	s.Add(&Record{Line: 2, URL: "http://a.example/y", Outcome: HTTPError, Status: 503, Attempts: 3, ErrorKind: KindHTTP, Duration: 40 * time.Millisecond})
	s.Add(&Record{Line: 3, URL: "nope", Outcome: Invalid, ErrorKind: KindInvalidURL})
	s.Finish(start.Add(time.Second))
	if s.Inputs != 3 || s.Outcomes[OK] != 1 || s.Failures() != 2 || s.Bytes != 10 {
		t.Errorf("gathered summary: inputs %d, ok %d, failures %d, bytes %d; want 3, 1, 2, 10",
			s.Inputs, s.Outcomes[OK], s.Failures(), s.Bytes)
	}
	// The invalid line is kept too: every count of a run agrees.
	if s.Wall != time.Second || s.Slowest == nil || s.Slowest.Line != 2 || len(s.Records()) != 3 {
		t.Errorf("wall %v, slowest %+v, %d records kept; want 1s, line 2, 3", s.Wall, s.Slowest, len(s.Records()))
	}
	if hs := s.Hosts(); len(hs) != 1 || hs[0].Requests != 2 || hs[0].Retried != 1 {
		t.Errorf("hosts %+v; want a.example with 2 requests, 1 retried", hs)
	}
}
