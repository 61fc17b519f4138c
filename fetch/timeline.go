package fetch

import (
	"cmp"
	"container/heap"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"time"
)

// MaxTimelineBars is the most requests a timeline draws; a page with more
// bars than this is too heavy for a browser to be of use. The rest are
// counted in the page's caption.
const MaxTimelineBars = 20000

// WriteTimeline writes a self-contained HTML page (no scripts, no external
// files) with an SVG of every fetched record on a time axis: one bar per
// request, from its first attempt to its end, in lanes packed so that the
// number of lanes in use at any moment is the number of requests in flight.
// Bars are coloured by outcome, and hovering a bar shows the URL, status,
// duration, attempts, error and timings, time spent queued included.
// Records with no request (invalid, skipped) are counted but not drawn.
func WriteTimeline(w io.Writer, title string, records []Record, wall time.Duration) error {
	var drawn []Record
	for _, r := range records {
		if r.Attempts > 0 || (r.Outcome == Cancelled && r.Duration > 0) {
			drawn = append(drawn, r)
		}
	}
	slices.SortFunc(drawn, func(a, b Record) int { return cmp.Compare(begin(&a), begin(&b)) })
	hidden := 0
	if len(drawn) > MaxTimelineBars {
		hidden = len(drawn) - MaxTimelineBars
		drawn = drawn[:MaxTimelineBars]
	}
	for _, r := range drawn {
		wall = max(wall, r.Start+r.Queued+r.Duration)
	}
	if wall <= 0 {
		wall = time.Millisecond
	}

	const (
		width  = 1200.0
		left   = 10.0
		top    = 30.0
		laneH  = 7.0
		laneGp = 1.0
	)
	lanes := assignLanes(drawn)
	nLanes := 0
	for _, l := range lanes {
		nLanes = max(nLanes, l+1)
	}
	scale := (width - 2*left) / float64(wall)
	type bar struct {
		X, Y, W, H   float64
		Color, Title string
	}
	bars := make([]bar, len(drawn))
	for i, r := range drawn {
		bars[i] = bar{
			X: tenth(left + float64(begin(&r))*scale), W: tenth(max(float64(r.Duration)*scale, 0.5)),
			Y: top + float64(lanes[i])*(laneH+laneGp), H: laneH,
			Color: outcomeColor(r.Outcome), Title: barTitle(&r),
		}
	}
	height := top + float64(nLanes)*(laneH+laneGp) + 30
	type tick struct {
		X     float64
		Label string
	}
	var ticks []tick
	step := tickStep(wall)
	for t := time.Duration(0); t <= wall; t += step {
		ticks = append(ticks, tick{tenth(left + float64(t)*scale), round(t).String()})
	}
	counts := map[Outcome]int{}
	for _, r := range records {
		counts[r.Outcome]++
	}
	var legend []struct {
		Name, Color string
		N           int
	}
	for _, o := range []Outcome{OK, HTTPError, Failed, Cancelled, Invalid, Skipped} {
		if counts[o] > 0 {
			legend = append(legend, struct {
				Name, Color string
				N           int
			}{string(o), outcomeColor(o), counts[o]})
		}
	}
	return timelinePage.Execute(w, map[string]any{
		"Title": title, "Width": width, "Height": height, "Bars": bars, "Ticks": ticks,
		"AxisY": height - 20, "Lanes": nLanes, "N": len(records), "Drawn": len(drawn), "Hidden": hidden,
		"Wall": round(wall).String(), "Legend": legend,
	})
}

// begin is when a record's request began: its first attempt, after the
// time it spent queued.
func begin(r *Record) time.Duration { return r.Start + r.Queued }

// tenth rounds an SVG coordinate to a tenth of a pixel, to keep pages small.
func tenth(x float64) float64 { return math.Round(x*10) / 10 }

// assignLanes gives each record, sorted by begin, the lowest lane free at
// its begin, so the lanes used at once equal the requests in flight.
func assignLanes(recs []Record) []int {
	lanes := make([]int, len(recs))
	busy := &laneHeap{} // lanes in use, by end time
	var free []int      // lanes released, lowest first
	next := 0
	for i, r := range recs {
		for busy.Len() > 0 && (*busy)[0].end <= begin(&r) {
			free = append(free, heap.Pop(busy).(laneEnd).lane)
			slices.Sort(free)
		}
		var lane int
		if len(free) > 0 {
			lane, free = free[0], free[1:]
		} else {
			lane = next
			next++
		}
		lanes[i] = lane
		heap.Push(busy, laneEnd{end: begin(&r) + r.Duration, lane: lane})
	}
	return lanes
}

type laneEnd struct {
	end  time.Duration
	lane int
}

type laneHeap []laneEnd

func (h laneHeap) Len() int           { return len(h) }
func (h laneHeap) Less(i, j int) bool { return h[i].end < h[j].end }
func (h laneHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *laneHeap) Push(x any)        { *h = append(*h, x.(laneEnd)) }
func (h *laneHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func tickStep(wall time.Duration) time.Duration {
	for _, s := range []time.Duration{time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
		10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
		200 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 5 * time.Second,
		10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute} {
		if wall/s <= 12 {
			return s
		}
	}
	return time.Hour
}

func outcomeColor(o Outcome) string {
	switch o {
	case OK:
		return "#2e9d4a"
	case HTTPError:
		return "#e08a00"
	case Failed:
		return "#d1342f"
	case Cancelled:
		return "#8c8c8c"
	case Invalid:
		return "#8e44ad"
	}
	return "#4a7fd1"
}

func barTitle(r *Record) string {
	s := fmt.Sprintf("line %d: %s\n%s", r.Line, r.URL, r.Outcome)
	if r.Status != 0 {
		s += fmt.Sprintf(" %d", r.Status)
	}
	s += fmt.Sprintf(", %s, %s, %d attempt(s)", round(r.Duration), sizeString(r.Bytes), r.Attempts)
	if r.Error != "" {
		s += "\n" + r.Error
	}
	s += fmt.Sprintf("\nstart %s · queued %s · dns %s · connect %s · tls %s · ttfb %s",
		round(r.Start), round(r.Queued), round(r.DNS), round(r.Connect), round(r.TLS), round(r.TTFB))
	if r.Retried > 0 {
		s += fmt.Sprintf(" · retry waits %s", round(r.Retried))
	}
	if r.FinalURL != "" && r.FinalURL != r.URL {
		s += "\nfinal URL " + r.FinalURL
	}
	return s
}

var timelinePage = template.Must(template.New("timeline").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.2em;margin:0 0 .3em}
.legend span{display:inline-block;margin-right:1.2em}
.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:-1px}
svg{border:1px solid #ddd;background:#fcfcfc}
svg rect:hover{stroke:#000;stroke-width:1}
svg text{font-size:11px;fill:#555}
</style></head><body>
<h1>{{.Title}}</h1>
<p>{{.N}} records, {{.Drawn}} requests drawn{{if .Hidden}} ({{.Hidden}} more not drawn){{end}} over {{.Wall}};
{{.Lanes}} lanes: at any moment the lanes in use are the URLs being fetched (waits between retries included). Hover a bar for details.</p>
<p class="legend">{{range .Legend}}<span><i style="background:{{.Color}}"></i>{{.Name}} {{.N}}</span>{{end}}</p>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}">
{{range .Ticks}}<line x1="{{.X}}" x2="{{.X}}" y1="20" y2="{{$.AxisY}}" stroke="#eee"/><text x="{{.X}}" y="{{$.AxisY}}" dy="14" text-anchor="middle">{{.Label}}</text>
{{end}}{{range .Bars}}<g><title>{{.Title}}</title><rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Color}}"/></g>
{{end}}</svg>
</body></html>
`))
