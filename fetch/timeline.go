package fetch

import (
	"cmp"
	"container/heap"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxTimelineBars is the most requests a timeline draws; a page with more
// bars than this is too heavy for a browser to be of use. The rest are
// counted in the page's caption.
const MaxTimelineBars = 20000

// timelineHosts is how many hosts get a button of their own in the
// timeline's filter; the rest share one.
const timelineHosts = 30

// The phases of an attempt, in the order they happen, with their colours.
var timelinePhases = []struct{ Name, Color, Help string }{
	{"queue", "#c3c8d0", "waiting for a slot, the host, a host pause or the rate limit"},
	{"dns", "#8e6bd1", "DNS lookup"},
	{"connect", "#e08a00", "TCP connect"},
	{"tls", "#d14b8f", "TLS handshake"},
	{"wait", "#4a90d9", "request sent, waiting for the first byte"},
	{"body", "#2e9d4a", "reading the body"},
	{"backoff", "#8c8c8c", "sleeping before the next attempt"},
}

// WriteTimeline writes a self-contained HTML page (no scripts, no external
// files) with an SVG of every fetched record on a time axis. Each request
// is a bar split into its phases — queue, DNS, connect, TLS, waiting for
// the first byte, body — in distinct colours; a retried request shows each
// attempt, with the backoff between them as a dashed line, and a failed
// attempt is outlined in the colour of its failure. Host pauses set by a
// Retry-After are drawn above the bars and labelled. Bars are packed in
// lanes: a lane is taken from a request's first attempt to its end, so the
// lanes in use at a moment are the requests past their first queue, about
// the concurrency. The time axis is at the top and the bottom; bars wide
// enough carry their label, and hovering one shows the URL, status,
// duration, attempts, error and timings. Buttons above the chart show one
// host at a time (CSS only). Records with no request (invalid, skipped) are
// counted but not drawn.
func WriteTimeline(w io.Writer, title string, records []Record, wall time.Duration) error {
	var drawn []tlBar
	for i := range records {
		r := &records[i]
		if r.Attempts > 0 || (r.Outcome == Cancelled && r.Duration > 0) {
			drawn = append(drawn, tlBar{rec: r, tries: triesOf(r)})
		}
	}
	slices.SortFunc(drawn, func(a, b tlBar) int { return cmp.Compare(a.from(), b.from()) })
	hidden := 0
	if len(drawn) > MaxTimelineBars {
		hidden = len(drawn) - MaxTimelineBars
		drawn = drawn[:MaxTimelineBars]
	}
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
		hostN[hostOf(b.rec.URL)]++
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
	for _, b := range drawn {
		h := hostOf(b.rec.URL)
		for _, t := range b.tries {
			if t.Pause <= 0 {
				continue
			}
			row, ok := pauseRow[h]
			if !ok {
				row = len(pauseRow)
				pauseRow[h] = row
			}
			w := tenth(max(float64(t.Pause)*scale, 1))
			p := pause{X: x(t.End), W: w, Y: axisH + 4 + float64(row)*(pauseH+2), Class: hostClass[h],
				Text: fmt.Sprintf("%s paused %s by a Retry-After (line %d, status %d)", Printable(h), FormatDuration(t.Pause), b.rec.Line, t.Status)}
			p.Label = fitLabel(fmt.Sprintf("%s paused %s", Printable(h), FormatDuration(t.Pause)), w)
			pauses = append(pauses, p)
		}
	}
	top := axisH + 8 + float64(len(pauseRow))*(pauseH+2)

	bars := make([]tlBarView, len(drawn))
	for i, b := range drawn {
		y := top + float64(lanes[i])*(laneH+laneGap)
		bars[i] = b.view(x, y, laneH, hostClass[hostOf(b.rec.URL)])
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
		"AxisTop": axisH - 8, "AxisBottom": height - 8, "GridTop": axisH - 4, "GridBottom": height - axisH + 4,
		"Lanes": nLanes, "N": len(records), "Drawn": len(drawn), "Hidden": hidden,
		"Wall": round(wall).String(), "Legend": legend, "Phases": timelinePhases, "Pauses": pauses,
		"PauseH": pauseH, "Hosts": buttons, "FilterCSS": filterCSS(buttons),
	})
}

// tlBar is one drawn record and its attempts.
type tlBar struct {
	rec   *Record
	tries []AttemptTime
}

// from is when the bar takes its lane: its first attempt; the queue
// before it is drawn as a whisker that does not hold the lane.
func (b *tlBar) from() time.Duration { return b.tries[0].Start }

// to is when the record ended.
func (b *tlBar) to() time.Duration { return b.tries[len(b.tries)-1].End }

// triesOf returns the record's attempts, or one made from the record's own
// timings when it kept none (one attempt, or a record from elsewhere).
func triesOf(r *Record) []AttemptTime {
	if r.AttemptTimes != nil && len(*r.AttemptTimes) > 0 {
		return *r.AttemptTimes
	}
	start := r.Start + r.Queued
	return []AttemptTime{{Queued: r.Queued, Start: start, End: start + r.Duration, DNS: r.DNS, Connect: r.Connect,
		TLS: r.TLS, TTFB: r.TTFB, Status: r.Status, ErrorKind: r.ErrorKind}}
}

// phaseSpans splits an attempt into its phases, in time order; a phase the
// attempt did not reach is left out. The network phases come one after
// another from the attempt's start: DNS, connect, TLS, then the wait for
// the first byte (measured from the start) and the body to the end.
func phaseSpans(t AttemptTime) []tlSpan {
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
	QueueX1, QueueX2    float64
	Rects               []tlRect
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
	if first.Queued > 0 {
		v.QueueX1, v.QueueX2 = x(first.Start-first.Queued), x(first.Start)
	}
	for i, t := range b.tries {
		if i > 0 && t.Queued > 0 { // queued again before this attempt: inside the lane
			v.Rects = append(v.Rects, tlRect{X: x(t.Start - t.Queued), W: tenth(float64(x(t.Start) - x(t.Start-t.Queued))),
				Phase: "queue", Fill: phaseColor("queue"), Attempt: i + 1})
		}
		for _, s := range phaseSpans(t) {
			x1, x2 := x(s.from), x(s.to)
			if x2-x1 < 0.1 {
				continue
			}
			v.Rects = append(v.Rects, tlRect{X: x1, W: tenth(x2 - x1), Phase: s.phase, Fill: phaseColor(s.phase), Attempt: i + 1})
		}
		if t.ErrorKind != "" && t.ErrorKind != KindCancelled {
			color := outcomeColor(Failed)
			if t.ErrorKind == KindHTTP || t.ErrorKind == KindRetryAfter {
				color = outcomeColor(HTTPError)
			}
			v.Outline = append(v.Outline, tlRect{X: x(t.Start), W: tenth(max(x(t.End)-x(t.Start), 0.5)), Fill: color, Attempt: i + 1})
		}
		if t.Backoff > 0 {
			v.Links = append(v.Links, tlLink{X1: x(t.End), X2: x(t.End + t.Backoff)})
		}
	}
	if len(v.Rects) == 0 { // too short to show its phases: a sliver
		v.Rects = []tlRect{{X: x(first.Start), W: 0.5, Phase: "body", Fill: outcomeColor(r.Outcome), Attempt: 1}}
	}
	if h >= 12 {
		x1, x2 := x(b.from()), x(b.to())
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

// fitLabel cuts a label to what fits in width pixels at the page's font
// size, or returns "" when not even a few characters fit.
func fitLabel(s string, width float64) string {
	n := int(width / 6.2)
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

func barTitle(r *Record, tries []AttemptTime) string {
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

var timelinePage = template.Must(template.New("timeline").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.2em;margin:0 0 .3em}
.legend span{display:inline-block;margin-right:1.2em}
.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:-1px}
.hosts input{display:none}
.hosts label{display:inline-block;margin:0 .3em .3em 0;padding:.1em .5em;border:1px solid #bbb;border-radius:3px;cursor:pointer;font-size:12px}
#fall:checked~.hosts label[for=fall]{background:#222;color:#fff}
svg{border:1px solid #ddd;background:#fcfcfc}
svg .b:hover rect{stroke:#000;stroke-width:.6}
svg text{font-size:11px;fill:#555}
svg .lbl{font-size:10px;fill:#111;paint-order:stroke;stroke:#fff;stroke-width:2px;pointer-events:none}
svg .pause rect{fill:url(#hatch);stroke:#c99a00}
svg .pause text{font-size:10px;fill:#5a4500}
{{.FilterCSS}}
</style></head><body>
<h1>{{.Title}}</h1>
<p>{{.N}} records, {{.Drawn}} requests drawn{{if .Hidden}} ({{.Hidden}} more not drawn){{end}} over {{.Wall}};
{{.Lanes}} lanes: a request holds its lane from its first attempt to its end (waits between retries included), so the lanes in use at a moment are about the requests in flight. Hover a bar for details.</p>
<p class="legend">{{range .Phases}}<span title="{{.Help}}"><i style="background:{{.Color}}"></i>{{.Name}}</span>{{end}}<span><i style="background:#f2d16b"></i>host paused (Retry-After)</span></p>
<p class="legend">Records: {{range .Legend}}<span><i style="background:{{.Color}}"></i>{{.Name}} {{.N}}</span>{{end}} · a failed attempt is outlined in red (error) or orange (HTTP status)</p>
{{if .Hosts}}<input type="radio" name="host" id="fall" checked hidden>{{range .Hosts}}<input type="radio" name="host" id="{{.ID}}" hidden>{{end}}
<p class="hosts">Hosts: <label for="fall">all</label>{{range .Hosts}}<label for="{{.ID}}">{{.Name}} ({{.N}})</label>{{end}}</p>{{end}}
<div class="chart">
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}">
<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f2d16b"/><line x1="0" y1="0" x2="0" y2="6" stroke="#c99a00" stroke-width="2"/></pattern></defs>
{{range .Ticks}}<line x1="{{.X}}" x2="{{.X}}" y1="{{$.GridTop}}" y2="{{$.GridBottom}}" stroke="#eee"/><text x="{{.X}}" y="{{$.AxisTop}}" text-anchor="middle">{{.Label}}</text><text x="{{.X}}" y="{{$.AxisBottom}}" text-anchor="middle">{{.Label}}</text>
{{end}}{{range .Pauses}}<g class="pause {{.Class}}"><title>{{.Text}}</title><rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{$.PauseH}}"/>{{if .Label}}<text x="{{.X}}" y="{{.Y}}" dx="3" dy="10">{{.Label}}</text>{{end}}</g>
{{end}}{{range .Bars}}<g class="b {{.Class}}" data-line="{{.Line}}"><title>{{.Title}}</title>{{if .QueueX2}}<line class="p-queue" x1="{{.QueueX1}}" x2="{{.QueueX2}}" y1="{{.MidY}}" y2="{{.MidY}}" stroke="#c3c8d0" stroke-width="2"/>{{end}}{{$b := .}}{{range .Rects}}<rect class="p-{{.Phase}}" data-attempt="{{.Attempt}}" x="{{.X}}" y="{{$b.Y}}" width="{{.W}}" height="{{$b.H}}" fill="{{.Fill}}"/>{{end}}{{range .Outline}}<rect class="failed" data-attempt="{{.Attempt}}" x="{{.X}}" y="{{$b.Y}}" width="{{.W}}" height="{{$b.H}}" fill="none" stroke="{{.Fill}}" stroke-width="1.5"/>{{end}}{{range .Links}}<line class="p-backoff" x1="{{.X1}}" x2="{{.X2}}" y1="{{$b.MidY}}" y2="{{$b.MidY}}" stroke="#8c8c8c" stroke-width="1.5" stroke-dasharray="3 2"/>{{end}}{{if .Label}}<text class="lbl" x="{{.LabelX}}" y="{{.MidY}}" dy="3.5">{{.Label}}</text>{{end}}</g>
{{end}}</svg>
</div>
</body></html>
`))
