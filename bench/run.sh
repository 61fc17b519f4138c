#!/usr/bin/env bash
# Runs the peer benchmarks (Go: this library, the floors, errgroup, conc,
# pond; Python: asyncio) and regenerates the peers section of BENCHMARKS.md.
#
# Usage: bench/run.sh            # from anywhere; about 5 minutes on 2 cores
#
# Environment:
#   ROUNDS=6          rounds of every Go benchmark (benchstat wants >= 6)
#   BENCHTIME=150ms   -benchtime of workloads (a), (b), (d)
#   PY_ROUNDS=3       rounds of the asyncio workloads (c) and (d)
#   CORE_REV=<rev>    benchmark the library as committed at <rev> instead of
#                     the working tree (useful while the core is mid-edit)
#   OUT=<dir>         keep the raw results there (default: a temporary dir)
#   NO_MD=1           print the section instead of editing BENCHMARKS.md
#
# It installs what it lacks: benchstat from the Go module proxy (pinned
# below) and, as root, Debian's python3. Go itself must be installed.
set -euo pipefail

BENCHSTAT_VERSION=v0.0.0-20260908200009-22c9c6c9d4da # golang.org/x/perf
# The settings given, as they will be quoted with the command in the table.
given=""
for v in ROUNDS BENCHTIME PY_ROUNDS CORE_REV; do
	[ -n "${!v:-}" ] && given+="$v=${!v} "
done
ROUNDS=${ROUNDS:-6}
BENCHTIME=${BENCHTIME:-150ms}
PY_ROUNDS=${PY_ROUNDS:-3}
PY=/usr/bin/python3

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$here"
started=$(date +%s)
log() { printf '[run.sh %3ds] %s\n' "$(($(date +%s) - started))" "$*" >&2; }

out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- tools -------------------------------------------------------------------
command -v go >/dev/null || { echo "run.sh: Go is not installed (need the version in bench/go.mod)" >&2; exit 1; }
gobin=$(go env GOBIN)
gobin=${gobin:-$(go env GOPATH)/bin}
benchstat=$gobin/benchstat
if [ ! -x "$benchstat" ]; then
	log "installing benchstat $BENCHSTAT_VERSION"
	GOFLAGS=-mod=mod go install "golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION"
fi
if [ ! -x "$PY" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		log "installing Debian's python3"
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 >/dev/null
	else
		echo "run.sh: $PY is missing; install Debian's python3 (apt-get install python3)" >&2
		exit 1
	fi
fi

# --- which core --------------------------------------------------------------
modflags=()
if [ -n "${CORE_REV:-}" ]; then
	commit=$(git -C "$repo" rev-parse "$CORE_REV")
	log "benchmarking the core as committed at $commit"
	mkdir -p "$work/core"
	git -C "$repo" archive "$commit" | tar -x -C "$work/core"
	sed "s#=> \.\./*\$#=> $work/core#" go.mod >"$work/go.mod"
	cp go.sum "$work/go.sum"
	modflags=(-modfile="$work/go.mod")
else
	commit=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)
	# The library is the repository's top-level Go package.
	if ! git -C "$repo" diff --quiet HEAD -- ':(glob)*.go' go.mod go.sum 2>/dev/null; then
		commit="$commit + uncommitted changes to the library"
	fi
fi

# --- Go ----------------------------------------------------------------------
log "building the benchmark binary"
go test "${modflags[@]}" -c -o "$work/bench.test" .

: >"$out/go.txt"
for round in $(seq "$ROUNDS"); do
	log "Go round $round/$ROUNDS"
	# One round runs every implementation once, so that a burst of load
	# from elsewhere hits one sample of each rather than every sample of one.
	"$work/bench.test" -test.run '^$' -test.bench '^Benchmark(Spawn|Limit|Cancel|Parent|Tracking)$' \
		-test.benchtime "$BENCHTIME" -test.benchmem >>"$out/go.txt"
	# Workload (c) once per process: a process that has run 100,000
	# goroutines keeps their descriptors, and a second round would reuse
	# them and look cheaper than a fresh program is.
	# Workload (a) at N = 1,000 again on one core: at GOMAXPROCS 2 its CPU
	# time also holds the second core's search for work, which makes the
	# rounds bimodal; on one core it is the library's own cost. The rows are
	# renamed so that the table tells them apart.
	"$work/bench.test" -test.run '^$' -test.bench '^BenchmarkSpawn$/^n=1000$/^impl=(async|async-await|async-gatherfunc|errgroup|conc)$' \
		-test.benchtime "$BENCHTIME" -test.benchmem -test.cpu 1 | sed -n 's/^BenchmarkSpawn\//BenchmarkSpawnOneCore\//p' >>"$out/go.txt"
	for impl in floor-wg floor-chan async async-group errgroup conc pond; do
		"$work/bench.test" -test.run '^$' -test.bench "^BenchmarkSleep\$/^impl=$impl\$" \
			-test.benchtime 1x -test.benchmem | grep '^Benchmark' >>"$out/go.txt"
	done
done
"$benchstat" -col /impl "$out/go.txt" >"$out/benchstat.txt"

# --- Python ------------------------------------------------------------------
log "asyncio ($("$PY" --version 2>&1))"
"$PY" python/peers.py --rounds "$PY_ROUNDS" >"$out/python.jsonl"

# --- table -------------------------------------------------------------------
{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cores=$(nproc)"
	echo "cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -1 | sed 's/ *$//')"
	echo "go=$(go version | cut -d' ' -f3-)"
	echo "python=$("$PY" -c 'import sys; print(sys.version.split()[0])')"
	echo "python_exe=$PY"
	echo "eager=$("$PY" -c 'import asyncio; print("yes" if hasattr(asyncio, "eager_task_factory") else "no, Python < 3.12")')"
	echo "peers=$(go list "${modflags[@]}" -m -f '{{.Path}} {{.Version}}' golang.org/x/sync github.com/sourcegraph/conc github.com/alitto/pond/v2 | paste -sd, - | sed 's/,/, /g')"
	echo "command=${given}bench/run.sh"
	echo "commit=$commit"
	echo "rounds=$ROUNDS"
	echo "benchtime=$BENCHTIME"
} >"$out/meta.txt"

mdflags=(-md "$repo/BENCHMARKS.md")
[ -n "${NO_MD:-}" ] && mdflags=()
go run "${modflags[@]}" peerstable.go -go "$out/go.txt" -benchstat "$out/benchstat.txt" \
	-python "$out/python.jsonl" -meta "$out/meta.txt" "${mdflags[@]}"
log "done; raw results in $out"
