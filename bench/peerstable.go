//go:build ignore

// Peerstable turns the output of bench/run.sh into the peers section of
// BENCHMARKS.md: one row per workload, one column per implementation, each
// cell the median over the rounds with its ratio to the floor.
//
// Usage (run.sh does this):
//
//	go run peerstable.go -go go.txt -benchstat benchstat.txt -python python.jsonl \
//	    -meta meta.txt -md ../BENCHMARKS.md
//
// go.txt is raw `go test -bench` output, several rounds concatenated;
// python.jsonl is what python/peers.py prints; meta.txt holds key=value lines
// (date, cpu, cores, go, python, command, commit, rounds, benchtime). The
// section between <!-- peers:begin --> and <!-- peers:end --> is replaced;
// the rest of the file is left as it is.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

const (
	beginMark = "<!-- peers:begin -->"
	endMark   = "<!-- peers:end -->"
)

// samples maps benchmark key ("Spawn/n=1000"), then implementation, then
// unit ("ns/op", "B/task", ...) to the values seen, one per round.
type samples map[string]map[string]map[string][]float64

func (s samples) add(key, impl, unit string, v float64) {
	if s[key] == nil {
		s[key] = map[string]map[string][]float64{}
	}
	if s[key][impl] == nil {
		s[key][impl] = map[string][]float64{}
	}
	s[key][impl][unit] = append(s[key][impl][unit], v)
}

// get returns the median of the samples and their spread: the largest
// distance from the median to a sample, relative to the median.
func (s samples) get(key, impl, unit string) (med, spread float64, ok bool) {
	vs := s[key][impl][unit]
	if len(vs) == 0 {
		return 0, 0, false
	}
	vs = slices.Clone(vs)
	slices.Sort(vs)
	n := len(vs)
	med = vs[n/2]
	if n%2 == 0 {
		med = (vs[n/2-1] + vs[n/2]) / 2
	}
	if med != 0 {
		spread = math.Max(med-vs[0], vs[n-1]-med) / med
	}
	return med, spread, true
}

// readGo parses `go test -bench` lines such as
//
//	BenchmarkSpawn/n=1000/impl=async-2   52   3311422 ns/op   3311 ns/task   498728 B/op   7217 allocs/op
func readGo(path string, s samples) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(fields[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i] // the GOMAXPROCS suffix
			}
		}
		key, impl, ok := strings.Cut(name, "/impl=")
		if !ok {
			continue
		}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return fmt.Errorf("%s: %q: %v", path, sc.Text(), err)
			}
			s.add(key, impl, fields[i+1], v)
		}
	}
	return sc.Err()
}

// pyRecord is one line of python/peers.py's output.
type pyRecord struct {
	Workload     string   `json:"workload"`
	Impl         string   `json:"impl"`
	N            int      `json:"n"`
	SecPerOp     float64  `json:"sec_per_op"`
	CPUSecPerOp  *float64 `json:"cpu_sec_per_op"`
	BytesPerTask *float64 `json:"bytes_per_task"`
	PeakPerTask  *float64 `json:"peak_bytes_per_task"`
	PeakRSSKiB   float64  `json:"peak_rss_kib"`
}

func readPython(path string, s samples) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for line := range strings.Lines(string(data)) {
		var r pyRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return fmt.Errorf("%s: %q: %v", path, line, err)
		}
		if r.Workload == "" {
			continue // the header line
		}
		key := map[string]string{"spawn": "Spawn/n=" + strconv.Itoa(r.N), "sleep": "Sleep", "cancel": "Cancel"}[r.Workload]
		s.add(key, r.Impl, "ns/op", r.SecPerOp*1e9)
		s.add(key, r.Impl, "peak-RSS-KiB", r.PeakRSSKiB)
		if r.CPUSecPerOp != nil {
			s.add(key, r.Impl, "cpu-ns/op", *r.CPUSecPerOp*1e9)
		}
		if r.BytesPerTask != nil {
			s.add(key, r.Impl, "B/task", *r.BytesPerTask)
		}
		if r.PeakPerTask != nil {
			s.add(key, r.Impl, "sys-B/task", *r.PeakPerTask)
		}
	}
	return nil
}

func readMeta(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for line := range strings.Lines(string(data)) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			m[k] = v
		}
	}
	return m, nil
}

// row is one line of the main table.
type row struct {
	label string
	key   string
	unit  string
	// impl picks, for a column, which benchmark stands for it in this row
	// (the library's most natural API for the workload, asyncio's too).
	impl map[string]string
}

// columns of the main table, in order; ratios are to floor-wg.
var columns = []string{"floor-wg", "floor-chan", "async", "errgroup", "conc", "pond", "asyncio"}

func rows() []row {
	std := func(async, asyncio string) map[string]string {
		return map[string]string{"async": async, "asyncio": asyncio}
	}
	return []row{
		{"(a) spawn + collect, N = 1", "Spawn/n=1", "ns/op", std("async", "asyncio-gather")},
		{"(a) spawn + collect, N = 1,000", "Spawn/n=1000", "ns/op", std("async", "asyncio-gather")},
		{"(a) spawn + collect, N = 100,000", "Spawn/n=100000", "ns/op", std("async", "asyncio-gather")},
		{"(b) 100,000 tasks, limit 64", "Limit", "ns/op", std("async", "")},
		{"(c) 100,000 sleeping 10 ms, time", "Sleep", "ns/op", std("async", "asyncio-gather")},
		{"(c) bytes per blocked task", "Sleep", "B/task", std("async", "asyncio-gather")},
		{"(c) peak bytes per task", "Sleep", "sys-B/task", std("async", "asyncio-gather")},
		{"(d) 10,000 blocked, one fails", "Cancel", "ns/op", std("async", "asyncio-taskgroup")},
	}
}

// alternatives lists the other APIs measured, shown in a second table.
var alternatives = []struct{ key, impl, what string }{
	{"Spawn/n=1", "async-await", "async: Spawn, then Await each"},
	{"Spawn/n=1000", "async-await", "async: Spawn, then Await each"},
	{"Spawn/n=100000", "async-await", "async: Spawn, then Await each"},
	{"Spawn/n=1", "async-gatherfunc", "async: GatherFunc"},
	{"Spawn/n=1000", "async-gatherfunc", "async: GatherFunc"},
	{"Spawn/n=100000", "async-gatherfunc", "async: GatherFunc"},
	{"Spawn/n=1", "asyncio-taskgroup", "asyncio: TaskGroup"},
	{"Spawn/n=1000", "asyncio-taskgroup", "asyncio: TaskGroup"},
	{"Spawn/n=100000", "asyncio-taskgroup", "asyncio: TaskGroup"},
	{"Spawn/n=1", "asyncio-gather-eager", "asyncio: gather, eager_task_factory"},
	{"Spawn/n=1000", "asyncio-gather-eager", "asyncio: gather, eager_task_factory"},
	{"Spawn/n=100000", "asyncio-gather-eager", "asyncio: gather, eager_task_factory"},
	{"Limit", "async-group", "async: WithGroup + WithLimit(64) + Group.Go"},
	{"Limit", "conc-iter", "conc: iter.Mapper{MaxGoroutines: 64}.Map"},
	{"Sleep", "async-group", "async: WithGroup + Group.Go"},
	{"Sleep", "asyncio-taskgroup", "asyncio: TaskGroup"},
}

// writeTable writes one row per workload, one column per implementation,
// each cell the median with its spread and its ratio to the floor, and the
// library's ratio to errgroup and conc.
func writeTable(b *strings.Builder, s samples, rs []row) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("| workload | ")
	for _, c := range columns {
		p("%s | ", c)
	}
	p("async ÷ errgroup | async ÷ conc |\n|---|")
	for range columns {
		p("---:|")
	}
	p("---:|---:|\n")
	for _, r := range rs {
		floor, _, haveFloor := s.get(r.key, "floor-wg", r.unit)
		p("| %s | ", r.label)
		for _, c := range columns {
			impl := c
			if x, ok := r.impl[c]; ok {
				impl = x
			}
			v, spread, ok := s.get(r.key, impl, r.unit)
			if impl == "" || !ok {
				p("— | ")
				continue
			}
			cell := fmtValue(r.unit, v)
			if !strings.HasPrefix(impl, "asyncio") && spread >= 0.005 {
				cell += fmt.Sprintf(" ±%.0f%%", spread*100)
			}
			if haveFloor && floor > 0 {
				cell += " (" + fmtRatio(v/floor) + ")"
			}
			p("%s | ", cell)
		}
		a, _, okA := s.get(r.key, r.impl["async"], r.unit)
		for _, peer := range []string{"errgroup", "conc"} {
			v, _, ok := s.get(r.key, peer, r.unit)
			if okA && ok && v > 0 {
				p("%.2f | ", a/v)
			} else {
				p("— | ")
			}
		}
		p("\n")
	}
}

func fmtValue(unit string, v float64) string {
	switch unit {
	case "ns/op", "cpu-ns/op":
		switch {
		case v >= 1e9:
			return fmt.Sprintf("%.2f s", v/1e9)
		case v >= 1e6:
			return fmt.Sprintf("%.3g ms", v/1e6)
		case v >= 1e3:
			return fmt.Sprintf("%.3g µs", v/1e3)
		}
		return fmt.Sprintf("%.3g ns", v)
	case "B/task", "sys-B/task":
		return fmt.Sprintf("%.0f B", v)
	}
	return fmt.Sprintf("%.3g %s", v, unit)
}

func fmtRatio(r float64) string {
	if r >= 10 {
		return fmt.Sprintf("%.0f×", r)
	}
	return fmt.Sprintf("%.2f×", r)
}

func render(s samples, meta map[string]string, benchstat string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("Generated by `%s` on %s, core at commit `%s`.\n\n", meta["command"], meta["date"], meta["commit"])
	p("Machine: %s cores (%s), %s, Python %s (`%s`, Debian's, standard library only; eager_task_factory: %s).\n\n",
		meta["cores"], meta["cpu"], meta["go"], meta["python"], meta["python_exe"], meta["eager"])
	p("**Noisy numbers.** The 2 cores were shared with other jobs while this ran, so treat differences under about 25%% as noise; ")
	p("the ± after a Go cell is the largest distance from the median to any round. ")
	p("Go: %s rounds of `-benchtime %s` (workload (c) runs once per round, each time in a fresh process, so that its bytes per task start from an empty heap as Python's do); ", meta["rounds"], meta["benchtime"])
	p("each cell is the median over the rounds, and the ratio in brackets is to the floor (bare goroutines + WaitGroup). ")
	p("asyncio: median over repeated runs, each case in a fresh interpreter.\n\n")
	p("Columns: **floor-wg** bare goroutines + sync.WaitGroup (in (b), 64 goroutines taking the next index: the floor of a limit); ")
	p("**floor-chan** a goroutine and a result channel per task (in (b), a goroutine per task behind a semaphore channel); ")
	p("**errgroup** `Group.Go` (`SetLimit(64)` in (b), `WithContext` in (d)); ")
	p("**conc** `pool.NewWithResults` (a), `pool.New().WithMaxGoroutines(64)` (b), `pool.New()` (c), ")
	p("`pool.New().WithContext(ctx).WithCancelOnError().WithFirstError()` (d); ")
	p("**pond** groups on one long-lived pool (`NewResultPool`, limit 64 in (b)). Versions: %s.\n\n", meta["peers"])

	p("CPU time per op, all threads of the process (the GC's included). Waiting for a core on a busy machine inflates ")
	p("the wall time (the second table) but hardly this, so it is the steadier comparison here:\n\n")
	var cpuRows []row
	for _, r := range rows() {
		if r.unit == "ns/op" {
			r.unit = "cpu-ns/op"
			cpuRows = append(cpuRows, r)
		}
	}
	writeTable(&b, s, cpuRows)

	p("\nWall time per op, and memory:\n\n")
	writeTable(&b, s, rows())
	p("\nThe async column uses the API a user would reach for first: `Spawn` then `Gather` for (a) and (c), ")
	p("`Map` with `WithLimit(64)` for (b), `WithGroup` for (d). asyncio: `gather` for (a) and (c), `TaskGroup` for (d); ")
	p("asyncio has no counterpart of (b) here. In (c) the bytes per task are taken while every task is blocked at a gate ")
	p("that opens once all 100,000 exist (Go: heap in use + stacks, less the baseline; Python: resident set, less the baseline); ")
	p("the peak bytes per task are what the whole round took at its peak (Go: growth of the memory obtained from the OS, ")
	p("in a fresh process; Python: peak resident set less the resident set before the round).\n\n")

	writeParents(&b, s)

	p("\nOther APIs for the same workloads:\n\n| workload | API | result | vs floor |\n|---|---|---:|---:|\n")
	for _, alt := range alternatives {
		unit := "ns/op"
		v, _, ok := s.get(alt.key, alt.impl, unit)
		if !ok {
			continue
		}
		floor, _, okF := s.get(alt.key, "floor-wg", unit)
		ratio := "—"
		if okF && floor > 0 {
			ratio = fmtRatio(v / floor)
		}
		extra := ""
		if bt, _, ok := s.get(alt.key, alt.impl, "B/task"); ok {
			extra = ", " + fmtValue("B/task", bt) + " per blocked task"
		}
		p("| %s | %s | %s%s | %s |\n", alt.key, alt.what, fmtValue(unit, v), extra, ratio)
	}

	writeTargets(&b, s)
	writeClosingNote(&b, s)
	if benchstat != "" {
		p("\n<details><summary>benchstat (Go, time per op and bytes per task)</summary>\n\n```\n%s```\n\n</details>\n", benchstat)
	}
	return b.String()
}

// writeParents writes workload (e): spawn + await under each kind of parent,
// and the paired cost of tracking.
func writeParents(b *strings.Builder, s samples) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	bg, _, ok := s.get("Parent", "background", "cpu-ns/op")
	if !ok {
		return
	}
	p("\n(e) Spawn + Await of 1,000 trivial tasks under each kind of parent (`BenchmarkParent`): CPU time per task, ")
	p("its ratio to the same under `context.Background`, and what each task allocates:\n\n")
	p("| parent | CPU per task | vs Background | allocations per task | bytes per task |\n|---|---:|---:|---:|---:|\n")
	for _, impl := range []struct{ impl, what string }{
		{"background", "context.Background"},
		{"cancellable", "a context.WithCancel context"},
		{"group", "inside WithGroup (async.Go, then Await)"},
		{"run", "inside Run (tracked)"},
	} {
		v, spread, ok := s.get("Parent", impl.impl, "cpu-ns/op")
		if !ok {
			continue
		}
		allocs, _, _ := s.get("Parent", impl.impl, "allocs/op")
		bytes, _, _ := s.get("Parent", impl.impl, "B/op")
		p("| %s | %s ±%.0f%% | %.2f× | %.2f | %.0f B |\n", impl.what, fmtValue("cpu-ns/op", v/1000), spread*100, v/bg, allocs/1000, bytes/1000)
	}
	if o, spread, ok := s.get("Tracking", "paired", "overhead-%"); ok {
		on, _, _ := s.get("Tracking", "paired", "tracked-cpu-ns/task")
		off, _, _ := s.get("Tracking", "paired", "untracked-cpu-ns/task")
		p("\nTracking, paired in one process (`BenchmarkTracking`: batches of 1,000 inside Run and under a cancellable context, ")
		p("ABBA, each charged the CPU time the process spent on it): tracked %s, untracked %s per task; ", fmtValue("cpu-ns/op", on), fmtValue("cpu-ns/op", off))
		p("overhead %.1f%% (median over the rounds; the rounds spread ±%.0f%% around it).\n", o, spread*100)
	}
}

// writeTargets checks the targets of issue 19 (cost per task, the design
// step) against this run, on CPU time.
func writeTargets(b *strings.Builder, s samples) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	p("\nTargets of issue 19 (cost per task, the design step), on CPU time:\n\n")
	for _, n := range []string{"1", "1000", "100000"} {
		key := "Spawn/n=" + n
		for _, impl := range []struct{ impl, what string }{{"async", "Spawn + Gather"}, {"async-await", "Spawn + Await"}} {
			a, _, okA := s.get(key, impl.impl, "cpu-ns/op")
			e, _, okE := s.get(key, "errgroup", "cpu-ns/op")
			c, _, okC := s.get(key, "conc", "cpu-ns/op")
			if !okA || !okE || !okC {
				continue
			}
			p("- (a) %s, N = %s: %.2f× errgroup (target ≤ 1.2×: %s); %.2f× conc.\n",
				impl.what, n, a/e, verdict(a <= 1.2*e), a/c)
		}
	}
	if e, _, ok := s.get("SpawnOneCore/n=1000", "errgroup", "cpu-ns/op"); ok {
		a, _, okA := s.get("SpawnOneCore/n=1000", "async", "cpu-ns/op")
		w, _, okW := s.get("SpawnOneCore/n=1000", "async-await", "cpu-ns/op")
		gf, _, okG := s.get("SpawnOneCore/n=1000", "async-gatherfunc", "cpu-ns/op")
		if okA && okW && okG {
			p("- (a) N = 1,000 again at GOMAXPROCS 1, for reference (no verdict: the targets are at the machine's GOMAXPROCS, whose CPU time also holds the second core's search for work): ")
			p("Spawn + Gather %.2f× errgroup, Spawn + Await %.2f×, GatherFunc %.2f× Spawn + Gather; the library's own cost over errgroup's is %.0f ns a task.\n",
				a/e, w/e, gf/a, (a-e)/1000)
		}
	}
	if gf, _, ok := s.get("Spawn/n=1000", "async-gatherfunc", "cpu-ns/op"); ok {
		if sg, _, ok := s.get("Spawn/n=1000", "async", "cpu-ns/op"); ok {
			p("- GatherFunc, N = 1,000: %.2f× Spawn + Gather (target ≤ 1.3×: %s).\n", gf/sg, verdict(gf <= 1.3*sg))
		}
	}
	if a, _, ok := s.get("Limit", "async", "cpu-ns/op"); ok {
		it, _, okI := s.get("Limit", "conc-iter", "cpu-ns/op")
		e, _, okE := s.get("Limit", "errgroup", "cpu-ns/op")
		if okI && okE {
			p("- (b) Map with WithLimit(64), 100,000 items: %.2f× conc's iter.Mapper (target ≤ 3×: %s), %.2f× errgroup (target ≤ 0.5×: %s).\n",
				a/it, verdict(a <= 3*it), a/e, verdict(a <= 0.5*e))
		}
	}
	if a, _, ok := s.get("Cancel", "async", "cpu-ns/op"); ok {
		e, _, _ := s.get("Cancel", "errgroup", "cpu-ns/op")
		c, _, _ := s.get("Cancel", "conc", "cpu-ns/op")
		allocs, _, _ := s.get("Cancel", "async", "allocs/op")
		ea, _, _ := s.get("Cancel", "errgroup", "allocs/op")
		p("- (d) first error among 10,000 blocked tasks: %.2f× errgroup (target ≤ 1.3×: %s), %.2f× conc (target ≤ 1.0×: %s), %.1f allocations per task, the benchmark's own closure included (target ≤ 3: %s; errgroup %.1f).\n",
			a/e, verdict(a <= 1.3*e), a/c, verdict(a <= c), allocs/1e4, verdict(allocs/1e4 <= 3.005), ea/1e4)
	}
	if o, _, ok := s.get("Tracking", "paired", "overhead-%"); ok {
		p("- (e) tracking inside Run, paired: %.1f%% over untracked (target ≤ 5%%: %s).\n", o, verdict(o <= 5))
	}
	a, _, okA := s.get("Sleep", "async", "B/task")
	floor, _, okF := s.get("Sleep", "floor-wg", "B/task")
	if okA && okF {
		p("- (c) memory per blocked task: async %.0f B, a bare goroutine %.0f B: %.0f B more (target ≤ 150 B: %s).\n", a, floor, a-floor, verdict(a-floor <= 150))
	}
	if a, _, ok := s.get("Spawn/n=100000", "async", "ns/op"); ok {
		if py, _, ok := s.get("Spawn/n=100000", "asyncio-gather", "ns/op"); ok {
			floor, _, _ := s.get("Spawn/n=100000", "floor-wg", "ns/op")
			p("- (a) N = 100,000 against asyncio (issue 6, wall time): asyncio takes %.1f× async's time (target ≥ 10×: %s; the bare-goroutine floor is %.1f× here).\n", py/a, verdict(py/a >= 10), py/floor)
		}
	}
	for _, m := range []struct{ unit, what string }{{"B/task", "bytes per blocked task"}, {"sys-B/task", "peak bytes per task"}} {
		a, _, okA := s.get("Sleep", "async", m.unit)
		py, _, okP := s.get("Sleep", "asyncio-gather", m.unit)
		floor, _, okF := s.get("Sleep", "floor-wg", m.unit)
		if okA && okP && okF && py > 0 {
			p("- (c) %s: async %.0f B, asyncio %.0f B, bare goroutine %.0f B: an async task costs %.2f× an asyncio task, %.0f B more than a bare goroutine.\n", m.what, a, py, floor, a/py, a-floor)
		}
	}
}

// perTask returns allocations and bytes allocated per task for one row.
func perTask(s samples, key, impl string, tasks float64) string {
	allocs, _, ok1 := s.get(key, impl, "allocs/op")
	bytes, _, ok2 := s.get(key, impl, "B/op")
	if !ok1 || !ok2 {
		return "?"
	}
	return fmt.Sprintf("%.1f allocations, %.0f B", allocs/tasks, bytes/tasks)
}

// writeClosingNote explains the rows where the library loses: the numbers
// come from this run, the reasons from reading the core (task.go, group.go,
// gather.go) and from profiles.
func writeClosingNote(b *strings.Builder, s samples) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("\n### Where async loses, why, and what would close it\n\n")
	p("Per task, from this run: (a) N = 100,000: async %s; errgroup %s; conc %s. ",
		perTask(s, "Spawn/n=100000", "async", 1e5), perTask(s, "Spawn/n=100000", "errgroup", 1e5), perTask(s, "Spawn/n=100000", "conc", 1e5))
	p("(b): async (Map) %s; async-group %s; errgroup %s; conc %s. ",
		perTask(s, "Limit", "async", 1e5), perTask(s, "Limit", "async-group", 1e5), perTask(s, "Limit", "errgroup", 1e5), perTask(s, "Limit", "conc", 1e5))
	p("(d): async %s; errgroup %s; conc %s.\n\n",
		perTask(s, "Cancel", "async", 1e4), perTask(s, "Cancel", "errgroup", 1e4), perTask(s, "Cancel", "conc", 1e4))
	p(`- **(a) spawn and collect.** An errgroup task is a closure and a goroutine. An async task is also a handle that can be
  awaited, cancelled on its own with a cause, named and tracked. It costs one 96-byte Task (taskCore is 80 bytes;
  what only named, tracked, failed or watched tasks need lives in an extra part) and the goroutine's closure. Since
  issue 19 it reads the clock only when something needs its times (a Run scope, or WithTimes), and Gather watches its
  tasks through a field of each task, counting them down, with no allocation per task (Gather of one task awaits it).
  What is left above errgroup, from CPU profiles of Spawn + Await and Spawn + Gather at N = 1,000: the Task's
  allocation and its scanning by the GC, the first touch of the Task on the goroutine's core (taskCore.begin), the end's
  bookkeeping (state, context, callbacks), and for Await a done channel for each task still running when awaited
  (Await first yields once to a task that has not begun, so a spawner awaiting in order what it has just started
  rarely parks: Spawn + Await at N = 1,000 fell by a quarter to two fifths of its CPU when that came in).
- **(b) 100,000 tasks, limit 64.** Map under a limit runs that many tasks, which take the items in turn; each call's
  context is made only if the call asks for it. The async-group row is WithGroup + WithLimit + Go, which returns a
  handle per task, so 100,000 Tasks are made up front (Go never blocks), queued and run by 64 goroutines in turn;
  errgroup instead blocks the caller at the limit and starts a bare goroutine per task. Use Map when no per-item
  handle is needed.
`)
	p(`- **(d) first-error cancellation.** errgroup's tasks share one context: cancelling it closes one channel. Since issue
  19 a group task whose function waits on ctx.Done() gets a channel of its own and nothing more (no cancelCtx, no
  cancel function, no place in the group context's children map); the group keeps a list of them and closes them when
  it is cancelled, and Err and context.Cause still answer from the group's context. What is left is the Task (96
  bytes for a group task), its goroutine's closure and that channel, against errgroup's closure: a handle per task,
  and a context that ends when its task does (errgroup's stays open until Wait returns). Those three allocations are
  the floor of a task that has a handle and can be cancelled on its own: a go statement allocates its closure, and a
  channel that only this task's cancellation closes is the runtime's own allocation, which no Go value can embed. The
  fourth in the count is the benchmark's own: g.Go(bl.block) makes a method value for every task.
- **(e) tracking.** A tracked task records its times (start, end, and the start of a wait it records for the tree)
  from its scope's clock: one reading, handed to every task that asks within a millisecond, an atomic load where a
  read of the clock costs 35–40 ns on this machine (BenchmarkScopeClock in the root package). What is left is the
  registry, whose cost is the atomic instructions and the cache line it moves between the core that starts a task and
  the core that ends it (BenchmarkTrackUntrack and BenchmarkTrackUntrackAcrossCores in the root package), and the larger
  allocation: a tracked task comes with its extra part, 144 bytes for a Task[int] against 96. The registry's untrack
  takes no lock (one atomic store into the task's slot) and its track one uncontended lock; any registry that lists the
  live tasks exactly still moves one cache line per task from the core that ends it.
- **(c) memory.** A blocked bare goroutine already costs about 2.7 kB (its 2 KiB minimum stack and the runtime's g).
  The async task of (c) waits on something other than its context, so it adds its Task, its goroutine's closure and
  Gather's slot for it (a task that waited on ctx.Done() would add the channel too). asyncio's task is smaller (coroutine frame, Task, a waiter future). No library on goroutines can go below
  the goroutine's own stack, so a blocked async task will stay about 2× an asyncio task at peak.
`)
}

// keepBlocks returns the tables of benchstat's text output whose unit is
// one of units, so that the allocation tables do not drown the times. A
// table's second line names its unit; the lines before the first table
// (goos, goarch, ...) are dropped.
func keepBlocks(text string, units ...string) string {
	var out strings.Builder
	for _, block := range strings.Split(text, "\n\n") {
		var table []string
		for _, line := range strings.Split(strings.TrimRight(block, "\n"), "\n") {
			if table != nil || strings.Contains(line, "│") {
				table = append(table, line)
			}
		}
		if len(table) < 2 {
			continue
		}
		for _, u := range units {
			if strings.Contains(table[1], " "+u+" ") {
				out.WriteString(strings.Join(table, "\n") + "\n\n")
				break
			}
		}
	}
	return out.String()
}

func splice(path, section string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	begin := bytes.Index(data, []byte(beginMark))
	end := bytes.Index(data, []byte(endMark))
	if begin < 0 || end < begin {
		return fmt.Errorf("%s: no %s ... %s section", path, beginMark, endMark)
	}
	var out bytes.Buffer
	out.Write(data[:begin+len(beginMark)])
	out.WriteString("\n" + section)
	out.Write(data[end:])
	return os.WriteFile(path, out.Bytes(), 0o644)
}

func main() {
	goPath := flag.String("go", "", "raw go test -bench output")
	pyPath := flag.String("python", "", "python/peers.py output")
	statPath := flag.String("benchstat", "", "benchstat output (optional)")
	metaPath := flag.String("meta", "", "key=value lines about the run")
	mdPath := flag.String("md", "", "BENCHMARKS.md to update; without it, print the section")
	flag.Parse()

	if err := run(*goPath, *pyPath, *statPath, *metaPath, *mdPath); err != nil {
		fmt.Fprintln(os.Stderr, "peerstable:", err)
		os.Exit(1)
	}
}

func run(goPath, pyPath, statPath, metaPath, mdPath string) error {
	s := samples{}
	if err := readGo(goPath, s); err != nil {
		return err
	}
	if pyPath != "" {
		if err := readPython(pyPath, s); err != nil {
			return err
		}
	}
	meta, err := readMeta(metaPath)
	if err != nil {
		return err
	}
	var stat string
	if statPath != "" {
		data, err := os.ReadFile(statPath)
		if err != nil {
			return err
		}
		stat = keepBlocks(string(data), "sec/op", "B/task", "sys-B/task")
	}
	section := render(s, meta, stat)
	if mdPath == "" {
		fmt.Print(section)
		return nil
	}
	return splice(mdPath, section)
}
