package report

import (
	"cmp"
	"container/heap"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/asyncgo/async/fetch"
)

// timelineDetail is the most requests a timeline draws one bar each for:
// past it, bars a few pixels wide make columns of ticks, and the page
// shows an aggregate of every request instead, with bars for the notable
// ones only.
const timelineDetail = 1000

// timelineNotable is how many requests get a bar of their own beside the
// aggregate: every failed, retried or pausing one first, then the slowest.
const timelineNotable = 300

// minAttemptPx is the narrowest an attempt is drawn, so that an instant
// 503 or reset is a block, not a hairline.
const minAttemptPx = 3.0

// charPx is the width of a character of the labels' monospace font at
// 10px (0.6em in the common monospace fonts), with a margin.
const charPx = 6.2

// timelineHosts is how many hosts get a button of their own in the
// timeline's filter; the rest share one.
const timelineHosts = 30

// The phases of an attempt, in the order they happen, with their colours.
// Queue and backoff are drawn as lines (solid, dashed), in the bars and in
// the aggregate alike, and so are their legend entries.
var timelinePhases = []struct{ Name, Color, Help, Line string }{
	{"queue", "#a3abb5", "waiting for a slot, the host, a host pause or the rate limit", "solid"},
	{"dns", "#8e6bd1", "DNS lookup", ""},
	{"connect", "#e08a00", "TCP connect", ""},
	{"tls", "#d14b8f", "TLS handshake", ""},
	{"wait", "#4a90d9", "request sent, waiting for the first byte", ""},
	{"body", "#2e9d4a", "reading the body", ""},
	{"backoff", "#8c8c8c", "sleeping before the next attempt", "dashed"},
}

// WriteTimeline writes a self-contained HTML page (no scripts, no external
// files) with an SVG of the fetched records on a time axis. Each request
// is a bar split into its phases — DNS, connect, TLS, waiting for the
// first byte, body — in distinct colours, with the time it queued as a
// thin line before it (or between attempts); a retried request shows each
// attempt, with the backoff between them as a dashed line, and a failed
// attempt is outlined in the colour of its failure and drawn at least a
// few pixels wide. Host pauses set by a Retry-After are drawn above the
// bars, overlapping ones merged, and labelled with whole words. Bars are
// packed in lanes: a lane is taken from a request's first attempt to its
// end, so the lanes in use at a moment are the requests past their first
// queue, about the concurrency. The time axis is at the top and the
// bottom; bars wide enough carry a label that stays inside them, and
// hovering one shows the URL, status, duration, attempts, error and
// timings. Buttons above the chart show one host at a time (CSS only).
// Records with no request (invalid, skipped) are counted but not drawn.
//
// Past a thousand requests, one bar each would be a few pixels wide, so
// the page draws every request into an aggregate instead — requests in
// each phase over time, queued and backing off as lines, requests finished
// per second by outcome, hovering a column gives its numbers — and bars
// only for the notable ones: every failed, retried or pausing request
// first, then the slowest, a few hundred in all. The page stays small
// whatever the number of records.
func WriteTimeline(w io.Writer, title string, records []fetch.Record, wall time.Duration) error {
	var drawn []tlBar
	for i := range records {
		r := &records[i]
		if r.Attempts > 0 || (r.Outcome == fetch.Cancelled && r.Duration > 0) {
			drawn = append(drawn, tlBar{rec: r, tries: triesOf(r)})
		}
	}
	slices.SortFunc(drawn, func(a, b tlBar) int { return cmp.Compare(a.from(), b.from()) })
	for _, b := range drawn {
		wall = max(wall, b.to())
		for _, t := range b.tries {
			wall = max(wall, t.End+t.Pause)
		}
	}
	if wall <= 0 {
		wall = time.Millisecond
	}

	// Hosts, most requested first, for the filter.
	hostN := map[string]int{}
	for _, b := range drawn {
		hostN[b.rec.Host()]++
	}
	hosts := make([]string, 0, len(hostN))
	for h := range hostN {
		hosts = append(hosts, h)
	}
	slices.SortFunc(hosts, func(a, b string) int { return cmp.Or(cmp.Compare(hostN[b], hostN[a]), cmp.Compare(a, b)) })
	hostClass := map[string]string{}
	var buttons []hostButton
	for i, h := range hosts {
		if i < timelineHosts {
			hostClass[h] = fmt.Sprintf("h%d", i)
			buttons = append(buttons, hostButton{fmt.Sprintf("f%d", i), hostClass[h], Printable(h), hostN[h]})
		} else {
			hostClass[h] = "hx"
		}
	}
	if len(hosts) > timelineHosts {
		n := 0
		for _, h := range hosts[timelineHosts:] {
			n += hostN[h]
		}
		buttons = append(buttons, hostButton{"fx", "hx", fmt.Sprintf("%d other hosts", len(hosts)-timelineHosts), n})
	}
	if len(buttons) == 1 {
		buttons = nil // one host: nothing to filter
	}

	all := drawn
	aggregated := len(drawn) > timelineDetail
	if aggregated {
		drawn = notable(drawn, timelineNotable)
	}
	lanes := assignLanes(drawn)
	nLanes := 0
	for _, l := range lanes {
		nLanes = max(nLanes, l+1)
	}
	laneH, laneGap := 14.0, 2.0
	switch {
	case nLanes > 300:
		laneH, laneGap = 4, 1
	case nLanes > 100:
		laneH, laneGap = 8, 1
	}

	// Host pauses: one row each, above the lanes.
	type pause struct {
		X, W, Y     float64
		Class, Text string
		Label       string
	}
	const (
		width  = 1200.0
		left   = 10.0
		axisH  = 24.0
		pauseH = 14.0
	)
	scale := (width - 2*left) / float64(wall)
	x := func(d time.Duration) float64 { return tenth(left + float64(d)*scale) }
	var pauses []pause
	pauseRow := map[string]int{}
	for _, hp := range hostPauses(all) {
		row, ok := pauseRow[hp.host]
		if !ok {
			row = len(pauseRow)
			pauseRow[hp.host] = row
		}
		w := tenth(max(float64(hp.to-hp.from)*scale, 1))
		h, d := Printable(hp.host), FormatDuration(hp.to-hp.from)
		text := fmt.Sprintf("%s paused %s by a Retry-After (line %d, status %d)", h, d, hp.line, hp.status)
		if hp.n > 1 {
			text = fmt.Sprintf("%s paused %s by %d Retry-Afters (the first: line %d, status %d)", h, d, hp.n, hp.line, hp.status)
		}
		pauses = append(pauses, pause{X: x(hp.from), W: w, Y: axisH + 4 + float64(row)*(pauseH+2), Class: hostClass[hp.host],
			Text: text, Label: fitWords(w-4, h+" paused "+d, "paused "+d, d)})
	}
	top := axisH + 8 + float64(len(pauseRow))*(pauseH+2)
	var agg *tlAggView
	if aggregated {
		agg = aggregate(all, wall, x, top, left, width-left)
		top = agg.Bottom + 22
	}

	bars := make([]tlBarView, len(drawn))
	for i, b := range drawn {
		y := top + float64(lanes[i])*(laneH+laneGap)
		bars[i] = b.view(x, y, laneH, hostClass[b.rec.Host()])
	}
	height := top + float64(nLanes)*(laneH+laneGap) + axisH + 4
	type tick struct {
		X     float64
		Label string
	}
	var ticks []tick
	step := tickStep(wall)
	for t := time.Duration(0); t <= wall; t += step {
		ticks = append(ticks, tick{x(t), round(t).String()})
	}
	counts := map[fetch.Outcome]int{}
	for _, r := range records {
		counts[r.Outcome]++
	}
	var legend []struct {
		Name, Color string
		N           int
	}
	for _, o := range []fetch.Outcome{fetch.OK, fetch.HTTPError, fetch.Failed, fetch.Cancelled, fetch.Invalid, fetch.Skipped} {
		if counts[o] > 0 {
			legend = append(legend, struct {
				Name, Color string
				N           int
			}{string(o), outcomeColor(o), counts[o]})
		}
	}
	return timelinePage().Execute(w, map[string]any{
		"Title": title, "Width": width, "Height": height, "Bars": bars, "Ticks": ticks,
		"AxisTop": axisH - 8, "AxisBottom": height - 8, "GridTop": axisH - 4, "GridBottom": height - axisH + 4,
		"Lanes": nLanes, "N": len(records), "Drawn": len(drawn), "All": len(all), "Agg": agg, "DetailTop": top - 8,
		"Wall": round(wall).String(), "Legend": legend, "Phases": timelinePhases, "Pauses": pauses,
		"PauseH": pauseH, "Hosts": buttons, "FilterCSS": filterCSS(buttons),
	})
}

// tlBar is one drawn record and its attempts.
type tlBar struct {
	rec   *fetch.Record
	tries []fetch.AttemptTime
}

// from is when the bar takes its lane: its first attempt; the queue
// before it is drawn as a whisker that does not hold the lane.
func (b *tlBar) from() time.Duration { return b.tries[0].Start }

// to is when the record ended.
func (b *tlBar) to() time.Duration { return b.tries[len(b.tries)-1].End }

// triesOf returns the record's attempts, or one made from the record's own
// timings when it kept none (one attempt, or a record from elsewhere).
func triesOf(r *fetch.Record) []fetch.AttemptTime {
	if r.AttemptTimes != nil && len(*r.AttemptTimes) > 0 {
		return *r.AttemptTimes
	}
	start := r.Start + r.Queued
	return []fetch.AttemptTime{{Queued: r.Queued, Start: start, End: start + r.Duration, DNS: r.DNS, Connect: r.Connect,
		TLS: r.TLS, TTFB: r.TTFB, Status: r.Status, ErrorKind: r.ErrorKind}}
}

// phaseSpans splits an attempt into its phases, in time order; a phase the
// attempt did not reach is left out. The network phases come one after
// another from the attempt's start: DNS, connect, TLS, then the wait for
// the first byte (measured from the start) and the body to the end.
func phaseSpans(t fetch.AttemptTime) []tlSpan {
	var spans []tlSpan
	at := t.Start
	add := func(phase string, d time.Duration) {
		end := min(at+max(d, 0), t.End)
		if end > at {
			spans = append(spans, tlSpan{phase, at, end})
		}
		at = end
	}
	add("dns", t.DNS)
	add("connect", t.Connect)
	add("tls", t.TLS)
	if t.TTFB > 0 {
		add("wait", t.Start+t.TTFB-at)
		add("body", t.End-at)
	} else {
		add("wait", t.End-at) // no response: waiting until it failed
	}
	return spans
}

type tlSpan struct {
	phase    string
	from, to time.Duration
}

// tlBarView is a bar as the template draws it.
type tlBarView struct {
	Class, Title, Label string
	Line                int
	Y, H, MidY, LabelX  float64
	Rects               []tlRect
	Queues              []tlLink // queued before the first attempt or between attempts
	Links               []tlLink // backoffs between attempts
	Outline             []tlRect // failed attempts
}

type tlRect struct {
	X, W        float64
	Phase, Fill string
	Attempt     int
}

type tlLink struct{ X1, X2 float64 }

func (b *tlBar) view(x func(time.Duration) float64, y, h float64, hostClass string) tlBarView {
	r := b.rec
	v := tlBarView{Class: hostClass, Title: barTitle(r, b.tries), Line: r.Line, Y: y, H: h, MidY: tenth(y + h/2)}
	first := b.tries[0]
	for i, t := range b.tries {
		// Queued time is a line, before the lane is taken as between
		// attempts, so that it reads one way under its legend entry.
		if t.Queued > 0 && x(t.Start)-x(t.Start-t.Queued) >= 0.1 {
			v.Queues = append(v.Queues, tlLink{X1: x(t.Start - t.Queued), X2: x(t.Start)})
		}
		n := len(v.Rects)
		for _, s := range phaseSpans(t) {
			x1, x2 := x(s.from), x(s.to)
			if x2-x1 < 0.1 {
				continue
			}
			v.Rects = append(v.Rects, tlRect{X: x1, W: tenth(x2 - x1), Phase: s.phase, Fill: phaseColor(s.phase), Attempt: i + 1})
		}
		if x(t.End)-x(t.Start) < minAttemptPx {
			// Too short to show its phases: a block of the phase it
			// ended in, wide enough to see and to hover.
			phase := "wait"
			if spans := phaseSpans(t); len(spans) > 0 {
				phase = spans[len(spans)-1].phase
			}
			v.Rects = append(v.Rects[:n], tlRect{X: x(t.Start), W: minAttemptPx, Phase: phase, Fill: phaseColor(phase), Attempt: i + 1})
		}
		if t.ErrorKind != "" && t.ErrorKind != fetch.KindCancelled {
			color := outcomeColor(fetch.Failed)
			if t.ErrorKind == fetch.KindHTTP || t.ErrorKind == fetch.KindRetryAfter {
				color = outcomeColor(fetch.HTTPError)
			}
			v.Outline = append(v.Outline, tlRect{X: x(t.Start), W: tenth(max(x(t.End)-x(t.Start), minAttemptPx)), Fill: color, Attempt: i + 1})
		}
		if t.Backoff > 0 {
			v.Links = append(v.Links, tlLink{X1: x(t.End), X2: x(t.End + t.Backoff)})
		}
	}
	if h >= 12 {
		x1, x2 := x(first.Start), max(x(b.to()), x(b.tries[len(b.tries)-1].Start)+minAttemptPx)
		v.LabelX = tenth(x1 + 3)
		label := pathOf(r.URL)
		if r.Status != 0 {
			label = fmt.Sprintf("%d %s", r.Status, label)
		} else if r.ErrorKind != "" {
			label = r.ErrorKind + " " + label
		}
		if len(b.tries) > 1 {
			label = fmt.Sprintf("%s ×%d", label, len(b.tries))
		}
		v.Label = fitLabel(label, x2-x1-4)
	}
	return v
}

// fitLabel cuts a label to what fits in width pixels in the labels' font,
// or returns "" when not even a few characters fit.
func fitLabel(s string, width float64) string {
	n := int(width / charPx)
	if n < 6 {
		return ""
	}
	s = Printable(s)
	if len(s) <= n {
		return s
	}
	if n >= 16 {
		return ShortenURL(s, n)
	}
	cut := n - 1
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// fitWords returns the first of the labels that fits in width pixels in
// the labels' font, whole, or "" if none does: a label is never cut.
func fitWords(width float64, labels ...string) string {
	for _, l := range labels {
		if float64(utf8.RuneCountInString(l))*charPx <= width {
			return l
		}
	}
	return ""
}

// pathOf is the part of a URL after its host, or the URL if it has none.
func pathOf(u string) string {
	rest := u
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		return rest[i:]
	}
	return u
}

func phaseColor(name string) string {
	for _, p := range timelinePhases {
		if p.Name == name {
			return p.Color
		}
	}
	return "#000"
}

// hostButton is a host's button in the timeline's filter.
type hostButton struct {
	ID, Class, Name string
	N               int
}

// filterCSS shows the bars and pauses of one host when its button is
// checked: radio buttons and :checked, no script.
func filterCSS(buttons []hostButton) template.CSS {
	var b strings.Builder
	for _, h := range buttons {
		fmt.Fprintf(&b, "#%s:checked~.chart .b:not(.%s),#%s:checked~.chart .pause:not(.%s){display:none}\n", h.ID, h.Class, h.ID, h.Class)
		fmt.Fprintf(&b, "#%s:checked~.hosts label[for=%s]{background:#222;color:#fff}\n", h.ID, h.ID)
	}
	return template.CSS(b.String()) // built from generated ids and classes only
}

// tenth rounds an SVG coordinate to a tenth of a pixel, to keep pages small.
func tenth(x float64) float64 { return math.Round(x*10) / 10 }

// assignLanes gives each bar, sorted by from, the lowest lane free at its
// from, so the lanes used at once equal the requests in flight.
func assignLanes(bars []tlBar) []int {
	lanes := make([]int, len(bars))
	busy := &laneHeap{} // lanes in use, by end time
	var free []int      // lanes released, lowest first
	next := 0
	for i := range bars {
		b := &bars[i]
		for busy.Len() > 0 && (*busy)[0].end <= b.from() {
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
		heap.Push(busy, laneEnd{end: b.to(), lane: lane})
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

func outcomeColor(o fetch.Outcome) string {
	switch o {
	case fetch.OK:
		return "#2e9d4a"
	case fetch.HTTPError:
		return "#e08a00"
	case fetch.Failed:
		return "#d1342f"
	case fetch.Cancelled:
		return "#8c8c8c"
	case fetch.Invalid:
		return "#8e44ad"
	}
	return "#4a7fd1"
}

func barTitle(r *fetch.Record, tries []fetch.AttemptTime) string {
	s := fmt.Sprintf("line %d: %s\n%s", r.Line, ShortenURL(r.URL, 300), r.Outcome)
	if r.Status != 0 {
		s += fmt.Sprintf(" %d", r.Status)
	}
	s += fmt.Sprintf(", %s, %s, %s", FormatDuration(r.Duration), sizeString(r.Bytes), Plural(int64(r.Attempts), "attempt"))
	if r.Error != "" {
		s += "\n" + Printable(r.Error)
	}
	s += fmt.Sprintf("\nstart %s · queued %s", FormatDuration(r.Start), FormatDuration(r.Queued))
	for i, t := range tries {
		s += fmt.Sprintf("\nattempt %d at %s: dns %s · connect %s · tls %s · first byte %s · end %s",
			i+1, FormatDuration(t.Start), FormatDuration(t.DNS), FormatDuration(t.Connect), FormatDuration(t.TLS),
			FormatDuration(t.TTFB), FormatDuration(t.End-t.Start))
		if t.ErrorKind != "" {
			s += " · " + t.ErrorKind
			if t.Status != 0 {
				s += fmt.Sprintf(" %d", t.Status)
			}
		}
		if t.Pause > 0 {
			s += " · host paused " + FormatDuration(t.Pause)
		}
		if t.Backoff > 0 {
			s += " · then backoff " + FormatDuration(t.Backoff)
		}
	}
	if r.FinalURL != "" && r.FinalURL != r.URL {
		s += "\nfinal URL " + ShortenURL(r.FinalURL, 300)
	}
	return s
}

// timelinePage is parsed when first used, not when every command that
// imports the package starts (1,500 allocations).
var timelinePage = sync.OnceValue(func() *template.Template { return template.Must(template.New("timeline").Parse(timelineHTML)) })

const timelineHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.2em;margin:0 0 .3em}
.legend span{display:inline-block;margin-right:1.2em}
.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:-1px}
.legend i.ln{width:1.4em;height:0;vertical-align:.3em}
.hosts input{display:none}
.hosts label{display:inline-block;margin:0 .3em .3em 0;padding:.1em .5em;border:1px solid #bbb;border-radius:3px;cursor:pointer;font-size:12px}
#fall:checked~.hosts label[for=fall]{background:#222;color:#fff}
svg{border:1px solid #ddd;background:#fcfcfc}
svg .b:hover rect{stroke:#000;stroke-width:.6}
svg text{font-size:11px;fill:#555}
svg .lbl{font:10px monospace;fill:#111;paint-order:stroke;stroke:#fff;stroke-width:2px;pointer-events:none}
svg .pause rect{fill:url(#hatch);stroke:#c99a00}
svg .pause text{font:10px monospace;fill:#5a4500}
svg .col:hover{fill:rgba(0,0,0,.08)}
{{.FilterCSS}}
</style></head><body>
<h1>{{.Title}}</h1>
{{if .Agg}}<p>{{.N}} records, {{.All}} requests over {{.Wall}}: too many for a bar each. The charts at the top add them all up per column of 4 pixels
(requests in each phase, queued and backing off; finished per second, by outcome: hover a column for its numbers); below them,
a bar for each of the {{.Drawn}} notable requests — failed, retried or pausing their host first, then the slowest — in {{.Lanes}} lanes.</p>
{{else}}<p>{{.N}} records, {{.Drawn}} requests drawn over {{.Wall}};
{{.Lanes}} lanes: a request holds its lane from its first attempt to its end (waits between retries included), so the lanes in use at a moment are about the requests in flight. Hover a bar for details.</p>{{end}}
<p class="legend">{{range .Phases}}<span title="{{.Help}}">{{if eq .Line "solid"}}<i class="ln" style="border-top:2px solid {{.Color}}"></i>{{else if eq .Line "dashed"}}<i class="ln" style="border-top:2px dashed {{.Color}}"></i>{{else}}<i style="background:{{.Color}}"></i>{{end}}{{.Name}}</span>{{end}}<span><i style="background:#f2d16b"></i>host paused (Retry-After)</span></p>
<p class="legend">Records: {{range .Legend}}<span><i style="background:{{.Color}}"></i>{{.Name}} {{.N}}</span>{{end}} · a failed attempt is outlined in red (error) or orange (HTTP status)</p>
{{if .Hosts}}<input type="radio" name="host" id="fall" checked hidden>{{range .Hosts}}<input type="radio" name="host" id="{{.ID}}" hidden>{{end}}
<p class="hosts">Hosts: <label for="fall">all</label>{{range .Hosts}}<label for="{{.ID}}">{{.Name}} ({{.N}})</label>{{end}}</p>{{end}}
<div class="chart">
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}">
<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f2d16b"/><line x1="0" y1="0" x2="0" y2="6" stroke="#c99a00" stroke-width="2"/></pattern></defs>
{{range .Ticks}}<line x1="{{.X}}" x2="{{.X}}" y1="{{$.GridTop}}" y2="{{$.GridBottom}}" stroke="#eee"/><text x="{{.X}}" y="{{$.AxisTop}}" text-anchor="middle">{{.Label}}</text><text x="{{.X}}" y="{{$.AxisBottom}}" text-anchor="middle">{{.Label}}</text>
{{end}}{{range .Pauses}}<g class="pause {{.Class}}"><title>{{.Text}}</title><rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{$.PauseH}}"/>{{if .Label}}<text x="{{.X}}" y="{{.Y}}" dx="3" dy="10">{{.Label}}</text>{{end}}</g>
{{end}}{{with .Agg}}<g class="agg"><text x="{{.Left}}" y="{{.CapY}}">requests in flight by phase (areas); queued (line) and backing off (dashed): {{.Max}} at the top{{if .QueueClipped}}; the queue, up to {{.QueueClipped}}, is cut off there{{end}}</text>
<line x1="{{.Left}}" x2="{{.Right}}" y1="{{.MaxY}}" y2="{{.MaxY}}" stroke="#ccc"/>
{{range .Areas}}<path class="a-{{.Phase}}" d="{{.D}}" fill="{{.Color}}"/>
{{end}}{{range .Lines}}<path class="l-{{.Phase}}" d="{{.D}}" fill="none" stroke="{{.Color}}" stroke-width="2"{{if .Dash}} stroke-dasharray="3 2"{{end}}/>
{{end}}<text x="{{.Left}}" y="{{.FinCapY}}">requests finished per second, by outcome: {{.FinMax}} at the top</text>
<line x1="{{.Left}}" x2="{{.Right}}" y1="{{.FinMaxY}}" y2="{{.FinMaxY}}" stroke="#ccc"/>
{{range .Fin}}<path class="f-{{.Phase}}" d="{{.D}}" fill="{{.Color}}"/>
{{end}}{{$a := .}}{{range .Cols}}<rect class="col" x="{{.X}}" y="{{$a.Top}}" width="{{.W}}" height="{{$a.ColH}}" fill="transparent"><title>{{.Title}}</title></rect>{{end}}
</g><text x="{{.Left}}" y="{{$.DetailTop}}">the notable requests, a bar each</text>
{{end}}{{range .Bars}}<g class="b {{.Class}}" data-line="{{.Line}}"><title>{{.Title}}</title>{{$b := .}}{{range .Queues}}<line class="p-queue" x1="{{.X1}}" x2="{{.X2}}" y1="{{$b.MidY}}" y2="{{$b.MidY}}" stroke="#a3abb5" stroke-width="2"/>{{end}}{{range .Rects}}<rect class="p-{{.Phase}}" data-attempt="{{.Attempt}}" x="{{.X}}" y="{{$b.Y}}" width="{{.W}}" height="{{$b.H}}" fill="{{.Fill}}"/>{{end}}{{range .Outline}}<rect class="failed" data-attempt="{{.Attempt}}" x="{{.X}}" y="{{$b.Y}}" width="{{.W}}" height="{{$b.H}}" fill="none" stroke="{{.Fill}}" stroke-width="1.5"/>{{end}}{{range .Links}}<line class="p-backoff" x1="{{.X1}}" x2="{{.X2}}" y1="{{$b.MidY}}" y2="{{$b.MidY}}" stroke="#8c8c8c" stroke-width="1.5" stroke-dasharray="3 2"/>{{end}}{{if .Label}}<text class="lbl" x="{{.LabelX}}" y="{{.MidY}}" dy="3.5">{{.Label}}</text>{{end}}</g>
{{end}}</svg>
</div>
</body></html>
`

// notable picks at most n of the bars for a bar of their own beside the
// aggregate: those that failed, were retried or paused their host, the
// slowest of them first if there are more, then the slowest of the rest.
// They are returned by start, as drawn.
func notable(bars []tlBar, n int) []tlBar {
	var marked, rest []tlBar
	for _, b := range bars {
		paused := slices.ContainsFunc(b.tries, func(t fetch.AttemptTime) bool { return t.Pause > 0 })
		if b.rec.Failed() || len(b.tries) > 1 || paused {
			marked = append(marked, b)
		} else {
			rest = append(rest, b)
		}
	}
	slowest := func(a, b tlBar) int { return cmp.Compare(b.rec.Duration, a.rec.Duration) }
	slices.SortStableFunc(marked, slowest)
	picked := marked[:min(n, len(marked))]
	if len(picked) < n {
		slices.SortStableFunc(rest, slowest)
		picked = append(picked, rest[:min(n-len(picked), len(rest))]...)
	}
	slices.SortStableFunc(picked, func(a, b tlBar) int { return cmp.Compare(a.from(), b.from()) })
	return picked
}

// hostPause is the time a host was paused by Retry-Afters that
// overlapped: n of them, the first on line, with status.
type hostPause struct {
	host         string
	from, to     time.Duration
	n            int
	line, status int
}

// hostPauses merges, per host, the pauses of the bars that overlap, and
// returns them by host (in the order their first pause began), then time.
func hostPauses(bars []tlBar) []hostPause {
	var all []hostPause
	for _, b := range bars {
		for _, t := range b.tries {
			if t.Pause > 0 {
				all = append(all, hostPause{host: b.rec.Host(), from: t.End, to: t.End + t.Pause, n: 1, line: b.rec.Line, status: t.Status})
			}
		}
	}
	slices.SortStableFunc(all, func(a, b hostPause) int { return cmp.Compare(a.from, b.from) })
	order := map[string]int{}
	var merged []hostPause
	last := map[string]int{} // host → index in merged of its latest pause
	for _, p := range all {
		if i, ok := last[p.host]; ok && p.from <= merged[i].to {
			merged[i].to = max(merged[i].to, p.to)
			merged[i].n++
			continue
		}
		if _, ok := order[p.host]; !ok {
			order[p.host] = len(order)
		}
		last[p.host] = len(merged)
		merged = append(merged, p)
	}
	slices.SortStableFunc(merged, func(a, b hostPause) int { return cmp.Compare(order[a.host], order[b.host]) })
	return merged
}

// tlAggView is the aggregate of every request, as the template draws it:
// the requests in each phase over time (stacked areas), those queued and
// backing off (lines), and those finished per second by outcome.
type tlAggView struct {
	CapY, Top, H, MaxY    float64
	FinCapY, FinTop, FinH float64
	FinMaxY, Bottom       float64
	ColH                  float64 // a hover column: both charts
	Left, Right           float64
	Max, FinMax           string
	QueueClipped          string // the queue's peak, when the line is clipped
	Areas, Lines, Fin     []tlPath
	Cols                  []tlCol
}

type tlPath struct {
	Phase, Color, D string
	Dash            bool
}

type tlCol struct {
	X, W  float64
	Title string
}

// aggregate adds every request's phases into columns of about 4 pixels
// (the time each spent in a phase, over the column's time: the mean
// number of requests in that phase) and counts the requests that finished
// in each, and lays the charts out from top down.
func aggregate(bars []tlBar, wall time.Duration, x func(time.Duration) float64, top, left, right float64) *tlAggView {
	nb := max(int((right-left)/4), 1)
	dt := float64(wall) / float64(nb)
	const nPhases = 7 // dns connect tls wait body queue backoff
	phaseIdx := map[string]int{"dns": 0, "connect": 1, "tls": 2, "wait": 3, "body": 4, "queue": 5, "backoff": 6}
	names := []string{"dns", "connect", "tls", "wait", "body", "queue", "backoff"}
	acc := make([][]float64, nPhases)
	for i := range acc {
		acc[i] = make([]float64, nb)
	}
	outcomes := []fetch.Outcome{fetch.OK, fetch.HTTPError, fetch.Failed, fetch.Cancelled}
	fin := make([][]float64, len(outcomes))
	for i := range fin {
		fin[i] = make([]float64, nb)
	}
	add := func(ph int, from, to time.Duration) {
		f, t := float64(max(from, 0)), float64(min(to, wall))
		for b := max(int(f/dt), 0); b < nb && float64(b)*dt < t; b++ {
			lo, hi := max(f, float64(b)*dt), min(t, float64(b+1)*dt)
			if hi > lo {
				acc[ph][b] += (hi - lo) / dt
			}
		}
	}
	for _, b := range bars {
		for _, t := range b.tries {
			add(phaseIdx["queue"], t.Start-t.Queued, t.Start)
			for _, s := range phaseSpans(t) {
				add(phaseIdx[s.phase], s.from, s.to)
			}
			add(phaseIdx["backoff"], t.End, t.End+t.Backoff)
		}
		if o := slices.Index(outcomes, b.rec.Outcome); o >= 0 {
			fin[o][min(int(float64(b.to())/dt), nb-1)]++
		}
	}
	perSec := float64(time.Second) / dt
	for o := range fin {
		for b := range fin[o] {
			fin[o][b] *= perSec
		}
	}

	v := &tlAggView{Left: left, Right: right, CapY: top + 10, Top: top + 16, H: 150}
	v.FinCapY = v.Top + v.H + 18
	v.FinTop, v.FinH = v.FinCapY+6, 50
	v.Bottom = v.FinTop + v.FinH
	v.ColH = v.Bottom - v.Top
	colX := func(b int) float64 { return x(time.Duration(float64(b) * dt)) }

	// In flight, stacked; backing off and queued, lines: one scale, that
	// of the requests in flight, so that a long queue (a rate limit, a
	// backlog) does not flatten them: a queue past it is clipped at the
	// top, and the caption gives its peak.
	peak, queuePeak := 0.0, 0.0
	for b := range nb {
		active := 0.0
		for ph := range 5 {
			active += acc[ph][b]
		}
		peak = max(peak, active, acc[6][b])
		queuePeak = max(queuePeak, acc[5][b])
	}
	ymax := niceCeil(peak)
	y := func(n float64) float64 { return tenth(v.Top + v.H - min(n, ymax)/ymax*v.H) }
	v.Max, v.MaxY = strconv.FormatFloat(ymax, 'f', -1, 64), y(ymax)
	if queuePeak > ymax {
		v.QueueClipped = strconv.FormatFloat(math.Round(queuePeak), 'f', -1, 64)
	}
	lo := make([]float64, nb)
	for ph := range 5 {
		if !slices.ContainsFunc(acc[ph], func(n float64) bool { return n > 0 }) {
			continue
		}
		hi := make([]float64, nb)
		for b := range nb {
			hi[b] = lo[b] + acc[ph][b]
		}
		v.Areas = append(v.Areas, tlPath{Phase: names[ph], Color: phaseColor(names[ph]), D: stackPath(nb, colX, lo, hi, y)})
		lo = hi
	}
	for _, ph := range []int{5, 6} {
		if slices.ContainsFunc(acc[ph], func(n float64) bool { return n > 0 }) {
			v.Lines = append(v.Lines, tlPath{Phase: names[ph], Color: phaseColor(names[ph]), D: stepPath(nb, colX, acc[ph], y), Dash: ph == 6})
		}
	}

	// Finished per second, stacked by outcome.
	finPeak := 0.0
	for b := range nb {
		sum := 0.0
		for o := range fin {
			sum += fin[o][b]
		}
		finPeak = max(finPeak, sum)
	}
	fmax := niceCeil(finPeak)
	fy := func(n float64) float64 { return tenth(v.FinTop + v.FinH - n/fmax*v.FinH) }
	v.FinMax, v.FinMaxY = strconv.FormatFloat(fmax, 'f', -1, 64), fy(fmax)
	flo := make([]float64, nb)
	for o := range fin {
		if !slices.ContainsFunc(fin[o], func(n float64) bool { return n > 0 }) {
			continue
		}
		hi := make([]float64, nb)
		for b := range nb {
			hi[b] = flo[b] + fin[o][b]
		}
		v.Fin = append(v.Fin, tlPath{Phase: string(outcomes[o]), Color: outcomeColor(outcomes[o]), D: stackPath(nb, colX, flo, hi, fy)})
		flo = hi
	}

	// A column per bucket to hover, with its numbers.
	num := func(n float64) string {
		if n >= 10 || n == 0 {
			return strconv.FormatFloat(math.Round(n), 'f', -1, 64)
		}
		return strconv.FormatFloat(n, 'f', 1, 64)
	}
	for b := range nb {
		var sb strings.Builder
		from, to := time.Duration(float64(b)*dt), time.Duration(float64(b+1)*dt)
		active := 0.0
		for ph := range 5 {
			active += acc[ph][b]
		}
		fmt.Fprintf(&sb, "%s to %s: %s in flight", FormatDuration(from), FormatDuration(to), num(active))
		sep := " ("
		for ph := range 5 {
			if acc[ph][b] > 0 {
				fmt.Fprintf(&sb, "%s%s %s", sep, names[ph], num(acc[ph][b]))
				sep = " · "
			}
		}
		if sep != " (" {
			sb.WriteString(")")
		}
		fmt.Fprintf(&sb, ", %s queued, %s backing off\nfinished: %s/s", num(acc[5][b]), num(acc[6][b]), num(flo[b]))
		for o := range fin {
			if fin[o][b] > 0 {
				fmt.Fprintf(&sb, " · %s %s/s", outcomes[o], num(fin[o][b]))
			}
		}
		v.Cols = append(v.Cols, tlCol{X: colX(b), W: tenth(colX(b+1) - colX(b)), Title: sb.String()})
	}
	return v
}

// stackPath is the outline of a stacked area in columns: along the tops
// hi, left to right, then back along the bottoms lo.
func stackPath(nb int, colX func(int) float64, lo, hi []float64, y func(float64) float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "M%g %gH%g", colX(0), y(hi[0]), colX(1))
	for i := 1; i < nb; i++ {
		fmt.Fprintf(&b, "V%gH%g", y(hi[i]), colX(i+1))
	}
	fmt.Fprintf(&b, "V%g", y(lo[nb-1]))
	for i := nb - 1; i > 0; i-- {
		fmt.Fprintf(&b, "H%gV%g", colX(i), y(lo[i-1]))
	}
	fmt.Fprintf(&b, "H%gZ", colX(0))
	return b.String()
}

// stepPath is a line through the values, one step per column.
func stepPath(nb int, colX func(int) float64, vals []float64, y func(float64) float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "M%g %gH%g", colX(0), y(vals[0]), colX(1))
	for i := 1; i < nb; i++ {
		fmt.Fprintf(&b, "V%gH%g", y(vals[i]), colX(i+1))
	}
	return b.String()
}

// niceCeil is the least of 1, 2, 5, 10, 20, 50… that is at least v.
func niceCeil(v float64) float64 {
	for p := 1.0; ; p *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if m*p >= v {
				return m * p
			}
		}
	}
}

// round shortens a duration for display.
func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
