#!/usr/bin/env bash
# Queue benchmark: fetchall across worker processes on a local NATS
# JetStream server, against the local single-process run on the same list.
#
#   bench/queue/run.sh
#
# The list: N URLs (20,000), no delay, 1 kB bodies, spread over HOSTS (8)
# demo servers (fetchall demo -serve), each its own host:port, so that the
# hosts, and with them the partitions, spread over the workers.
#
# The local run is "fetchall -q -c C -i list -o out". A queue run starts W
# worker processes ("fetchall worker -q -c C") on a fresh job, waits until
# they hold their partitions, then times from the start of "fetchall
# enqueue" to the end of "fetchall collect -o out", which ends when every
# line has its record; enqueue, workers and collect run at once, as they
# would on a cluster. Each run is checked: one ok record per line.
# Runs are interleaved, REPEATS (3) times; the table shows the best wall.
#
# Environment: N (20000), HOSTS (8), C (64, per process), REPEATS (3),
# WORKERS ("1 2 4"), PARTITIONS (16, the job's -partitions; several, like
# "16 64", interleave runs of each), JOBFLAGS (more flags of the workers,
# which create the job: -memory, say).
#
# PROFILE=DIR writes CPU profiles to DIR instead of measuring fetchall as
# built: every fetchall process (local run, enqueue, workers, collect) runs
# as the test binary of cmd/fetchall (TestProfileRun, -test.cpuprofile),
# and nats-server's profile over each queue run is fetched from its
# --profile port. Read them with go tool pprof -top DIR/FILE.
set -euo pipefail

N=${N:-20000}
HOSTS=${HOSTS:-8}
C=${C:-64}
REPEATS=${REPEATS:-3}
WORKERS=${WORKERS:-"1 2 4"}
PROFILE=${PROFILE:-}
PARTITIONS=${PARTITIONS:-16}
JOBFLAGS=${JOBFLAGS:-}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$(dirname "$here")")
work=$(mktemp -d /tmp/queuebench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { printf '%s\n' "$*" >&2; }

log "building fetchall"
(cd "$root" && go build -o "$work/fetchall" ./cmd/fetchall)
fa=$work/fetchall
if [[ -n $PROFILE ]]; then
	mkdir -p "$PROFILE"
	PROFILE=$(cd "$PROFILE" && pwd)
	(cd "$root" && go test -c -o "$work/fetchall.test" ./cmd/fetchall)
fi
# $farun NAME ARGS...: fetchall ARGS, profiled into $PROFILE/NAME.prof with
# PROFILE; a script that execs, so that /usr/bin/time and kill see fetchall.
farun=$work/farun
if [[ -z $PROFILE ]]; then
	printf '#!/bin/sh\nshift\nexec "%s" "$@"\n' "$fa" >"$farun"
else
	printf '#!/bin/sh\nname=$1\nshift\nFETCHALL_PROFILE_ARGS="$*" exec "%s" -test.run "^TestProfileRun$" -test.cpuprofile "%s/$name.prof" >/dev/null\n' "$work/fetchall.test" "$PROFILE" >"$farun"
fi
chmod +x "$farun"
nats_server=$(command -v nats-server || true)
if [[ -z $nats_server ]]; then
	log "installing nats-server v2.15.2 (go install)"
	GOBIN=$work go install github.com/nats-io/nats-server/v2@v2.15.2
	nats_server=$work/nats-server
fi

port=$((20000 + RANDOM % 20000))
profiling=()
if [[ -n $PROFILE ]]; then profiling=(--profile $((port + 1))); fi
"$nats_server" -a 127.0.0.1 -p "$port" "${profiling[@]}" -js -sd "$work/js" >"$work/nats.log" 2>&1 &
pids+=($!)
nats=nats://127.0.0.1:$port
for _ in $(seq 100); do grep -q "Server is ready" "$work/nats.log" && break; sleep 0.1; done
grep -q "Server is ready" "$work/nats.log" || { log "nats-server did not start: $(tail -5 "$work/nats.log")"; exit 1; }

bases=()
site_pids=()
for i in $(seq "$HOSTS"); do
	"$fa" demo -serve >"$work/site$i" 2>/dev/null &
	pids+=($!)
	site_pids+=($!)
	for _ in $(seq 50); do [[ -s $work/site$i ]] && break; sleep 0.1; done
	bases+=("$(head -n1 "$work/site$i")")
done
printf '%s\n' "${bases[@]}" | awk -v n="$N" '{ b[NR - 1] = $0 } END {
	for (i = 0; i < n; i++) printf "%s/item?size=1000&i=%d\n", b[i % NR], i
}' >"$work/list.txt"
log "nats-server at $nats, $HOSTS demo sites, $N URLs, -c $C"

now() { date +%s%N; }
# cpu PID: user+system seconds a running process has used so far.
cpu() { awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat"; }
nats_pid=${pids[0]}
# sites_cpu: the CPU seconds the demo sites have used so far.
sites_cpu() {
	local t=0 p
	for p in "${site_pids[@]}"; do t=$(awk -v a="$t" -v b="$(cpu "$p")" 'BEGIN { print a + b }'); done
	echo "$t"
}
sub() { awk -v a="$1" -v b="$2" 'BEGIN { print a - b }'; }
secs() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.3f", (e - s) / 1e9 }'; }
check() { # check FILE: every line has one ok record
	local ok lines
	ok=$(grep -c '"outcome":"ok"' "$1" || true)
	lines=$(grep -o '"line":[0-9]*' "$1" | sort -u | wc -l)
	if [[ $ok != "$N" || $lines != "$N" ]]; then log "  check failed: $ok ok records, $lines distinct lines, want $N"; return 1; fi
}

: >"$work/results"
run_local() {
	local t0 t1 s0 s1 c
	s0=$(sites_cpu)
	t0=$(now)
	/usr/bin/time -f "%U %S" -o "$work/cpu" "$farun" "local-$r" -q -c "$C" -i "$work/list.txt" -o "$work/out.jsonl"
	t1=$(now)
	s1=$(sites_cpu)
	check "$work/out.jsonl"
	c=$(awk '{ print $1 + $2 }' "$work/cpu")
	echo "local 1 $(secs "$t0" "$t1") $c $c 0 0 $(sub "$s1" "$s0")" >>"$work/results"
}
job_n=0
run_queue() {
	local w=$1 parts=$2 job t0 t1 i
	job_n=$((job_n + 1))
	job=bench$job_n
	local -a wp=()
	for i in $(seq "$w"); do
		"$farun" "$job-worker$i" worker -q -nats "$nats" -job "$job" -create -partitions "$parts" $JOBFLAGS -lease-ttl 2s -id "w$i" -c "$C" 2>>"$work/workers.log" &
		wp+=($!)
	done
	sleep 1.5 # the workers announce themselves, then take their partitions
	local n0 n1 s0 s1
	n0=$(cpu "$nats_pid")
	s0=$(sites_cpu)
	local pp=
	if [[ -n $PROFILE ]]; then
		curl -s -o "$PROFILE/$job-nats-server.prof" "http://127.0.0.1:$((port + 1))/debug/pprof/profile?seconds=${PROFILE_SECONDS:-4}" &
		pp=$!
	fi
	t0=$(now)
	/usr/bin/time -f "%U %S" -o "$work/cpu.e" "$farun" "$job-enqueue" enqueue -nats "$nats" -job "$job" -i "$work/list.txt" 2>>"$work/enqueue.log" &
	local ep=$!
	/usr/bin/time -f "%U %S" -o "$work/cpu.c" "$farun" "$job-collect" collect -q -nats "$nats" -job "$job" -o "$work/out.jsonl"
	t1=$(now)
	n1=$(cpu "$nats_pid")
	s1=$(sites_cpu)
	wait "$ep"
	[[ -z $pp ]] || wait "$pp"
	local cw=0 p
	for p in "${wp[@]}"; do cw=$(awk -v a="$cw" -v b="$(cpu "$p")" 'BEGIN { print a + b }'); done
	kill -TERM "${wp[@]}"
	wait "${wp[@]}" || true
	check "$work/out.jsonl"
	# CPU: workers (their idle start included), enqueue, collect, and
	# nats-server over the timed part.
	local ce cc
	ce=$(awk '{ print $1 + $2 }' "$work/cpu.e")
	cc=$(awk '{ print $1 + $2 }' "$work/cpu.c")
	local cn
	cn=$(sub "$n1" "$n0")
	echo "queue/$parts $w $(secs "$t0" "$t1") $(awk -v a="$cw" -v b="$ce" -v c="$cc" -v n="$cn" 'BEGIN { print a + b + c + n }') $cw $cn $(awk -v b="$ce" -v c="$cc" 'BEGIN { print b + c }') $(sub "$s1" "$s0")" >>"$work/results"
}

load_start=$(cut -d' ' -f1 /proc/loadavg)
"$fa" -q -c "$C" -i "$work/list.txt" -o /dev/null # warm-up
for r in $(seq "$REPEATS"); do
	log "round $r/$REPEATS"
	run_local
	for p in $PARTITIONS; do for w in $WORKERS; do run_queue "$w" "$p"; done; done
done
load_end=$(cut -d' ' -f1 /proc/loadavg)

# best KIND W: the fields of the run with the best wall.
best() { awk -v k="$1" -v w="$2" '$1 == k && $2 == w { if (!n || $3 < b) { b = $3; line = $0 }; n++ } END { print line }' "$work/results"; }
read -r _ _ local_wall local_cpu _ _ _ local_sites <<<"$(best local 1)"
{
	echo "| run | processes | best wall (s) | requests/s | vs local | wall per URL over local | CPU per URL: fetchall + nats-server | of which workers · nats-server · enqueue + collect | demo sites' CPU per URL |"
	echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
	awk -v n="$N" -v w="$local_wall" -v c="$local_cpu" -v st="$local_sites" 'BEGIN { printf "| local: fetchall -c %d | 1 | %.2f | %d | 1.00× | | %.0f µs | | %.0f µs |\n", '"$C"', w, n / w, c / n * 1e6, st / n * 1e6 }'
	for p in $PARTITIONS; do for w in $WORKERS; do
		read -r _ _ q qc qw qn qe qs <<<"$(best "queue/$p" "$w")"
		awk -v p="$p" -v n="$N" -v q="$q" -v l="$local_wall" -v w="$w" -v qc="$qc" -v qw="$qw" -v qn="$qn" -v qe="$qe" -v qs="$qs" 'BEGIN {
			printf "| queue'"${JOBFLAGS:+ $JOBFLAGS}"', %d partitions: enqueue + %d worker%s + collect | %d | %.2f | %d | %.2f× | %+.0f µs | %.0f µs | %.0f · %.0f · %.0f µs | %.0f µs |\n",
				p, w, (w > 1 ? "s" : ""), w + 3, q, n / q, l / q, (q - l) / n * 1e6, qc / n * 1e6, qw / n * 1e6, qn / n * 1e6, qe / n * 1e6, qs / n * 1e6 }'
	done; done
	echo
	echo "$N URLs of 1 kB over $HOSTS demo sites, -c $C per process, best of $REPEATS; load average $load_start → $load_end; $(nproc) cores."
	echo "Queue processes: nats-server, enqueue, collect and the workers. Overhead per URL: (queue wall − local wall) / URLs."
	echo "The demo sites serve the requests on the same cores; their CPU is not in the fetchall + nats-server column."
} | tee "$work/table.md"
