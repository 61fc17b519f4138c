#!/usr/bin/env bash
# Fetch benchmark: fetchall against a hand-written net/http floor, Python
# asyncio+aiohttp and curl --parallel, all at the same concurrency, against a
# local server on 127.0.0.1.
#
#   bench/fetch/run.sh            # measure, print the table, rewrite BENCHMARKS.md's fetch section
#   WRITE=0 bench/fetch/run.sh    # measure and print only
#
# Lists, generated for each run:
#   (a) latency-bound: 2,000 URLs, every other one delayed 50 ms, bodies of
#       10 kB and 100 B; its physical limit is the sum of delays / concurrency.
#   (b) throughput-bound: 20,000 URLs, no delay, 1 kB bodies.
#   (m) fetchall's memory: the (b) URL repeated to RSS_LINES lines, against its
#       first 1,000 lines (and its first tenth, to show the curve between).
#
# Each tool runs REPEATS times on each list, tools interleaved so that drifting
# load from other work hits them alike; the table shows the best wall time
# (the run least disturbed) and the highest peak RSS. Wall time is taken
# around the process, start-up included; peak RSS comes from /usr/bin/time -v.
#
# Environment: CONCURRENCY (64), REPEATS (3), RSS_LINES (1000000),
# RUN_TIMEOUT (seconds per run, 180; the RSS_LINES run gets 4× as long), WRITE (1).
set -euo pipefail

CONCURRENCY=${CONCURRENCY:-64}
REPEATS=${REPEATS:-3}
RSS_LINES=${RSS_LINES:-1000000}
RUN_TIMEOUT=${RUN_TIMEOUT:-180}
WRITE=${WRITE:-1}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bench=$(dirname "$here")
root=$(dirname "$bench")
python=/usr/bin/python3 # Debian's, which sees python3-aiohttp; a pyenv python3 would not

work=$(mktemp -d /tmp/fetchbench.XXXXXX)
server_pid=""
run_pid=""
cleanup() {
	# A measured run is started under timeout(1), which passes the signal on
	# to the run's whole process group.
	if [[ -n $run_pid ]]; then kill "$run_pid" 2>/dev/null || true; fi
	if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*" >&2; }
commas() { sed -E ':a; s/^([0-9]+)([0-9]{3})/\1,\2/; ta' <<<"$1"; }

# --- tools -----------------------------------------------------------------

apt_updated=0
need_deb() { # need_deb COMMAND-OR-PATH PACKAGE
	command -v "$1" >/dev/null 2>&1 && return
	log "installing $2"
	if ((apt_updated == 0)); then apt-get update -qq; apt_updated=1; fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
need_deb /usr/bin/time time
need_deb curl curl
need_deb timeout coreutils
"$python" "$here/aiohttp_fetch.py" --install-only

log "building"
(cd "$bench" && go build -o "$work/server" ./fetch/server && go build -o "$work/floor" ./fetch/floor)
have_fetchall=0
if [[ -d $root/cmd/fetchall ]] && (cd "$root" && go build -o "$work/fetchall" ./cmd/fetchall) 2>"$work/fetchall.build"; then
	have_fetchall=1
else
	log "fetchall: not built, its rows stay empty: $(head -c 300 "$work/fetchall.build" 2>/dev/null)"
fi

# --- server and lists ------------------------------------------------------

"$work/server" >"$work/server.addr" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 50); do [[ -s $work/server.addr ]] && break; sleep 0.1; done
base=$(head -n1 "$work/server.addr")
[[ $base == http://127.0.0.1:* ]] || { log "server did not start: $(cat "$work/server.log")"; exit 1; }
log "server at $base"

delay_ms=50
awk -v b="$base" -v d="$delay_ms" 'BEGIN {
	for (i = 0; i < 2000; i++)
		printf "%s/b/%d%s\n", b, (int(i/2) % 2 ? 10000 : 100), (i % 2 ? "?delay=" d "ms" : "")
}' >"$work/a.txt"
awk -v b="$base" 'BEGIN { for (i = 0; i < 20000; i++) print b "/b/1000" }' >"$work/b.txt"
awk -v b="$base" -v n="$RSS_LINES" 'BEGIN { for (i = 0; i < n; i++) print b "/b/1000" }' >"$work/m.txt"
head -n 1000 "$work/m.txt" >"$work/k.txt"
head -n $((RSS_LINES / 10)) "$work/m.txt" >"$work/h.txt"
for l in a b; do # curl takes a list as a config file: a url and an output per transfer
	awk '{ printf "url = \"%s\"\noutput = \"/dev/null\"\n", $0 }' "$work/$l.txt" >"$work/$l.curl"
done
delayed=$(grep -c 'delay=' "$work/a.txt")
limit_a=$(awk -v n="$delayed" -v d="$delay_ms" -v c="$CONCURRENCY" 'BEGIN { printf "%.3f", n * d / 1000 / c }')
# Equal delays run in whole waves of CONCURRENCY, so even a fetcher with no
# overhead at all needs ceil(delayed / concurrency) waves.
waves_a=$(((delayed + CONCURRENCY - 1) / CONCURRENCY))
ideal_a=$(awk -v w="$waves_a" -v d="$delay_ms" 'BEGIN { printf "%.3f", w * d / 1000 }')

# --- measuring -------------------------------------------------------------

# set_command TOOL LIST OUT: sets cmd to the command line that fetches LIST
# with TOOL, writing its per-URL output (if any) to OUT.
set_command() {
	local tool=$1 list=$2 out=$3
	case $tool in
	fetchall) cmd=("$work/fetchall" -q -c "$CONCURRENCY" -i "$work/$list.txt" -o "$out") ;;
	floor) cmd=("$work/floor" -c "$CONCURRENCY" -i "$work/$list.txt") ;;
	aiohttp) cmd=("$python" "$here/aiohttp_fetch.py" -c "$CONCURRENCY" -i "$work/$list.txt") ;;
	curl) cmd=(curl --parallel --parallel-max "$CONCURRENCY" --no-progress-meter -K "$work/$list.curl" -w '%{http_code}\n') ;;
	esac
}

# ok_count TOOL OUT: how many URLs the run fetched successfully, from what it
# wrote, so that a fast run that failed shows as such.
ok_count() {
	local tool=$1 out=$2
	case $tool in
	fetchall) grep -c '"outcome":"ok"' "$out" || true ;;
	floor | aiohttp) sed -n 's/.* ok=\([0-9]*\) .*/\1/p' "$out" ;;
	curl) grep -c '^200$' "$out" || true ;;
	esac
}

# measure TOOL LIST: run once; append "tool list wall_s rss_kb ok rc cpu_s" to
# results.
measure() {
	local tool=$1 list=$2 out="$work/out.$1.$2" tv="$work/time.$1.$2"
	local -a cmd
	set_command "$tool" "$list" "$out.records"
	local start end rc=0 limit=$RUN_TIMEOUT
	[[ $list == m ]] && limit=$((4 * RUN_TIMEOUT))
	start=$(date +%s%N)
	timeout -k 5 "$limit" /usr/bin/time -v -o "$tv" "${cmd[@]}" >"$out" 2>"$out.err" &
	run_pid=$!
	wait "$run_pid" || rc=$?
	run_pid=""
	end=$(date +%s%N)
	local rss ok cpu
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tv" 2>/dev/null || true)
	cpu=$(awk -F': ' '/User time|System time/ { t += $2 } END { printf "%.2f", t }' "$tv" 2>/dev/null || true)
	if [[ $tool == fetchall ]]; then ok=$(ok_count "$tool" "$out.records"); else ok=$(ok_count "$tool" "$out"); fi
	printf '%s %s %s %s %s %s %s\n' "$tool" "$list" "$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", (e - s) / 1e9 }')" \
		"${rss:-0}" "${ok:-0}" "$rc" "${cpu:-0}" >>"$work/results"
	((rc == 0)) || log "  $tool on $list exited $rc: $(tail -c 300 "$out.err")"
	rm -f "$out.records"
}

tools=(floor aiohttp curl)
((have_fetchall)) && tools=(fetchall "${tools[@]}")
: >"$work/results"
load_start=$(cut -d' ' -f1 /proc/loadavg)
started=$(date +%s)

log "warm-up"
"$work/floor" -c "$CONCURRENCY" -i "$work/a.txt" >/dev/null
for r in $(seq "$REPEATS"); do
	for list in a b; do
		for tool in "${tools[@]}"; do
			log "run $r/$REPEATS: $tool on ($list)"
			measure "$tool" "$list"
		done
	done
done
if ((have_fetchall)); then
	# The 1,000-line baseline is a run of a fraction of a second, so it is
	# repeated like the others; the tenth-size list shows where between the
	# two the memory levels off.
	log "fetchall on 1,000, $((RSS_LINES / 10)) and $RSS_LINES lines"
	for r in $(seq "$REPEATS"); do measure fetchall k; done
	measure fetchall h
	measure fetchall m
fi
load_end=$(cut -d' ' -f1 /proc/loadavg)
elapsed=$(($(date +%s) - started))

# --- report ----------------------------------------------------------------

# best TOOL LIST: "wall rss ok rc cpu" — best wall, highest RSS, fewest ok,
# a failing rc, least CPU.
best() {
	awk -v t="$1" -v l="$2" '$1 == t && $2 == l {
		if (!n || $3 < w) w = $3
		if ($4 > r) r = $4
		if (!n || $5 < ok) ok = $5
		if ($6 != 0) rc = $6
		if (!n || $7 < cpu) cpu = $7
		n++
	} END { if (n) printf "%s %s %s %d %s\n", w, r, ok, rc, cpu }' "$work/results"
}
urls_in() { wc -l <"$work/$1.txt" | tr -d ' '; }

table="$work/table.md"
{
	echo "| list | fetcher | wall (s) | requests/s | CPU (s) | peak RSS (MB) | ok / URLs |"
	echo "|---|---|--:|--:|--:|--:|--:|"
	for list in a b k h m; do
		n=$(urls_in "$list")
		case $list in
		a) name="(a) latency, 2,000" ;;
		b) name="(b) throughput, 20,000" ;;
		k) name="memory, 1,000" ;;
		h | m) name="memory, $(commas "$n")" ;;
		esac
		[[ $list == a ]] && echo "| $name | physical limit | $limit_a | $(awk -v n="$n" -v w="$limit_a" 'BEGIN { printf "%.0f", n / w }') | | | |"
		list_tools=(fetchall floor aiohttp curl)
		[[ $list == [khm] ]] && list_tools=(fetchall)
		for tool in "${list_tools[@]}"; do
			read -r w r ok rc cpu <<<"$(best "$tool" "$list")" || true
			if [[ -z ${w:-} ]]; then
				echo "| $name | $tool | not run | | | | |"
				continue
			fi
			note=""
			((rc == 0)) || note=" (exit $rc)"
			awk -v name="$name" -v t="$tool" -v w="$w" -v r="$r" -v ok="$ok" -v n="$n" -v note="$note" -v cpu="$cpu" \
				'BEGIN { printf "| %s | %s | %.3f | %.0f | %.2f | %.1f | %d / %d%s |\n", name, t, w, n / w, cpu, r / 1024, ok, n, note }'
			unset w r ok rc cpu
		done
	done
} >"$table"

# Targets, each a line of its own under the table.
targets="$work/targets.md"
{
	read -r fa_w _ fa_ok _ <<<"$(best fetchall a)" || true
	read -r fb_w _ fb_ok _ <<<"$(best fetchall b)" || true
	read -r lb_w _ _ _ <<<"$(best floor b)" || true
	read -r pb_w _ _ _ <<<"$(best aiohttp b)" || true
	read -r _ k_rss _ _ <<<"$(best fetchall k)" || true
	read -r _ m_rss m_ok _ <<<"$(best fetchall m)" || true
	# A target counts as met only when every URL was fetched: a fast run
	# that failed proves nothing.
	verdict() { awk -v ok="$1" 'BEGIN { print (ok ? "**met**" : "**missed**") }'; }
	if [[ -n ${fa_w:-} ]]; then
		echo "- (a) the best any fetcher can do is $waves_a waves of $delay_ms ms = $ideal_a s," \
		"$(awk -v i="$ideal_a" -v l="$limit_a" 'BEGIN { printf "%+.1f%%", (i / l - 1) * 100 }') on the limit before any round trip or start-up."
	echo "- (a) within 5% of the physical limit: fetchall $fa_w s against $limit_a s," \
			"$(awk -v w="$fa_w" -v l="$limit_a" 'BEGIN { printf "%+.1f%%", (w / l - 1) * 100 }') —" \
			"$(verdict "$(awk -v w="$fa_w" -v l="$limit_a" -v ok="$fa_ok" -v n="$(urls_in a)" 'BEGIN { print (w <= 1.05 * l && ok == n) }')")"
	else
		echo "- (a) within 5% of the physical limit: fetchall not run"
	fi
	if [[ -n ${fb_w:-} ]]; then
		echo "- (b) at least 5× aiohttp's requests/s: $(awk -v f="$fb_w" -v p="$pb_w" 'BEGIN { printf "%.2f×", p / f }')" \
			"(the floor reaches $(awk -v f="$lb_w" -v p="$pb_w" 'BEGIN { printf "%.2f×", p / f }')) —" \
			"$(verdict "$(awk -v f="$fb_w" -v p="$pb_w" -v ok="$fb_ok" -v n="$(urls_in b)" 'BEGIN { print (p / f >= 5 && ok == n) }')")"
		echo "- (b) within 15% of the floor (wall time): $(awk -v f="$fb_w" -v l="$lb_w" 'BEGIN { printf "%+.1f%%", (f / l - 1) * 100 }') —" \
			"$(verdict "$(awk -v f="$fb_w" -v l="$lb_w" -v ok="$fb_ok" -v n="$(urls_in b)" 'BEGIN { print (f <= 1.15 * l && ok == n) }')")"
	else
		echo "- (b) 5× aiohttp and within 15% of the floor: fetchall not run; the floor reaches" \
			"$(awk -v f="$lb_w" -v p="$pb_w" 'BEGIN { printf "%.2f×", p / f }') aiohttp's requests/s"
	fi
	if [[ -n ${m_rss:-} && -n ${k_rss:-} ]]; then
		echo "- peak RSS on $(commas "$RSS_LINES") lines within 20% of 1,000 lines:" \
			"$(awk -v m="$m_rss" -v k="$k_rss" 'BEGIN { printf "%.1f MB against %.1f MB, %+.1f%%", m / 1024, k / 1024, (m / k - 1) * 100 }')" \
			"($(commas "$m_ok") ok) — $(verdict "$(awk -v m="$m_rss" -v k="$k_rss" -v ok="$m_ok" -v n="$(urls_in m)" 'BEGIN { print (m <= 1.2 * k && ok == n) }')")"
	else
		echo "- peak RSS on $(commas "$RSS_LINES") lines within 20% of 1,000 lines: fetchall not run"
	fi
} >"$targets"

machine="$(nproc) cores, $(go version | cut -d' ' -f3), $("$python" -c 'import sys, aiohttp; print("Python", sys.version.split()[0], "+ aiohttp", aiohttp.__version__)'), $(curl --version | head -n1 | cut -d' ' -f1-2)"
fetchall_rev="commit $(git -C "$root" log -1 --format=%h -- fetch cmd/fetchall 2>/dev/null || echo unknown)"
[[ -n $(git -C "$root" status --porcelain -- fetch cmd/fetchall 2>/dev/null) ]] && fetchall_rev="$fetchall_rev plus uncommitted changes"
# The load at the end counts the benchmark's own processes; only the load at
# the start tells of other work.
load_note="Load average $load_start at the start and $load_end at the end (the benchmark's own load included), on $(nproc) cores"
if awk -v a="$load_start" 'BEGIN { exit !(a > 0.5) }'; then
	load_note="$load_note: other work was running on the machine, so the numbers are noisy."
else
	load_note="$load_note."
fi

section="$work/section.md"
{
	echo
	echo "Run on $(date -u '+%Y-%m-%d %H:%M UTC'), $machine; ${elapsed}s in all; fetchall as of $fetchall_rev."
	echo "$load_note"
	echo
	echo '```sh'
	echo "bench/fetch/run.sh   # CONCURRENCY=$CONCURRENCY REPEATS=$REPEATS RSS_LINES=$RSS_LINES"
	echo '```'
	echo
	echo "Every fetcher runs at concurrency $CONCURRENCY against bench/fetch/server on 127.0.0.1:"
	echo "fetchall (\`-q\`, records as JSON Lines to a file), bench/fetch/floor (net/http with a"
	echo "semaphore, nothing recorded), bench/fetch/aiohttp_fetch.py (asyncio + aiohttp in the"
	echo "seed's pattern) and \`curl --parallel --parallel-max $CONCURRENCY\` (bodies to /dev/null, a"
	echo "status line per URL). Wall time is the best of $REPEATS runs, start-up included; peak RSS"
	echo "is the highest of them and CPU the least user+system time of the fetcher alone"
	echo "(\`/usr/bin/time -v\`); the server uses the same cores. (a): $(commas "$delayed") of 2,000 URLs wait ${delay_ms} ms, so"
	echo "the physical limit is $(commas "$delayed") × ${delay_ms} ms / $CONCURRENCY = $limit_a s."
	echo
	cat "$table"
	echo
	cat "$targets"
	echo
} >"$section"

cat "$table"
echo
cat "$targets"

if [[ $WRITE == 1 ]]; then
	md="$root/BENCHMARKS.md"
	awk -v section="$section" '
		/<!-- fetch:begin -->/ { print; while ((getline line < section) > 0) print line; skip = 1; next }
		/<!-- fetch:end -->/ { skip = 0 }
		!skip { print }
	' "$md" >"$work/BENCHMARKS.md"
	cat "$work/BENCHMARKS.md" >"$md"
	log "rewrote the fetch section of $md"
fi
