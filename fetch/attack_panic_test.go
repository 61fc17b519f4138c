package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncgo/async"
)

// TestAttackAPanicLosesNoRecord: a fetch that panics holds a request slot
// when it does (its attempt took the slot over; with -c 1 the only one):
// the run still ends, with a record for every input read, the panic's
// among them, none twice, and the inputs in line behind it Cancelled or
// fetched. (At 76620c0, before the line of inputs, the -c 1 case
// deadlocked.) With strict, no other URL's record may read as the
// panic's (TestAttackAPanicIsNoOtherURLsRecord).
func TestAttackAPanicLosesNoRecord(t *testing.T) {
	attackPanic(t, false)
}

func attackPanic(t *testing.T, strict bool) {
	for _, shape := range mixShapes {
		for _, ordered := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s ordered=%v", shape.name, ordered), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					web := newFakeWeb(func(req *http.Request, n int) (*http.Response, error) {
						if strings.HasSuffix(req.URL.Path, "/37") {
							panic("transport bug")
						}
						if err := wait(req, 10*time.Millisecond); err != nil {
							return nil, err
						}
						return respond(200, req.URL.Path), nil
					})
					cfg := Config{Transport: web, Ordered: ordered}
					shape.cfg(&cfg)
					f := mustNew(t, cfg)
					var read atomic.Int64
					c := &collector{}
					_, err := f.Run(context.Background(), countingSource(300, &read), c)
					var pe *async.PanicError
					if !errors.As(err, &pe) {
						t.Fatalf("Run: %v", err)
					}
					lines := map[int]int{}
					for _, r := range c.recs {
						if lines[r.Line]++; lines[r.Line] > 1 {
							t.Errorf("line %d: two records", r.Line)
						}
						if want := fmt.Sprintf("http://h%d.test/%d", (r.Line-1)%7, r.Line-1); r.URL != want {
							t.Errorf("line %d: record of %s", r.Line, r.URL)
						}
						switch {
						case r.Line == 38:
							if r.ErrorKind != KindInternal {
								t.Errorf("the panic's record: %+v", r)
							}
						case r.Outcome == OK:
							if r.Bytes != int64(len(fmt.Sprintf("/%d", r.Line-1))) {
								t.Errorf("line %d: %d bytes", r.Line, r.Bytes)
							}
						case !strict && r.ErrorKind == KindInternal && r.Error == "internal error: transport bug":
							// another URL cancelled by the panic: see TestAttackAPanicIsNoOtherURLsRecord
						case r.Outcome != Cancelled:
							t.Errorf("line %d: %s %s", r.Line, r.Outcome, r.Error)
						}
					}
					if int64(len(c.recs)) != read.Load() {
						t.Errorf("%d records for %d read", len(c.recs), read.Load())
					}
					if len(lines) != len(c.recs) || lines[38] != 1 {
						t.Errorf("%d lines for %d records; the panic's: %d", len(lines), len(c.recs), lines[38])
					}
				})
			})
		}
	}
}
