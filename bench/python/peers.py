#!/usr/bin/python3
"""asyncio versions of the peer workloads in ../*_test.go.

(a) spawn  - start N trivial tasks and collect their results (N = 1, 1000, 100000)
(c) sleep  - 100,000 tasks sleeping 10 ms at once, gathered; bytes per task
(d) cancel - 10,000 tasks blocked, one fails; time until all have returned

Each case runs in a fresh interpreter, so that its peak RSS and its memory
per task are its own. Only the standard library is used, so Debian's
python3 runs it as it is. Output: one JSON object per line on stdout, with
the time per operation in seconds ("sec_per_op"), the peak RSS in KiB of the
process that ran the case ("peak_rss_kib"), the CPU time per operation
("cpu_sec_per_op", which a machine shared with other jobs disturbs less than
the wall time) and, for (c), the resident bytes per blocked task
("bytes_per_task") and the peak resident bytes per task
("peak_bytes_per_task").

Usage: peers.py [--rounds R] [--budget SECONDS]
"""

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time

SLEEP_TASKS = 100_000
SLEEP_FOR = 0.010
CANCEL_TASKS = 10_000
SPAWN_SIZES = (1, 1_000, 100_000)

HAS_EAGER = hasattr(asyncio, "eager_task_factory")  # Python 3.12+


def rss_bytes():
    """Resident set size of this process now."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def trivial(i):
    return i + 1


# (a) ----------------------------------------------------------------------


async def spawn_gather(n):
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(trivial(i)) for i in range(n)]
    return await asyncio.gather(*tasks)


async def spawn_taskgroup(n):
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(trivial(i)) for i in range(n)]
    return [t.result() for t in tasks]


SPAWN_APIS = {"gather": spawn_gather, "taskgroup": spawn_taskgroup}


async def time_spawn(api, n, budget):
    """Repeats the operation for about budget seconds; returns the median."""
    fn = SPAWN_APIS[api]
    samples, cpu = [], []
    deadline = time.perf_counter() + budget
    while not samples or (time.perf_counter() < deadline and len(samples) < 100_000):
        c0, t0 = time.process_time(), time.perf_counter()
        out = await fn(n)
        samples.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        if out[-1] != n:
            raise AssertionError(f"last result {out[-1]}, want {n}")
    return statistics.median(samples), statistics.median(cpu), len(samples)


# (c) ----------------------------------------------------------------------


async def sleep_round(api):
    """One round of (c). Every task first waits on a gate that opens once all
    of them exist and wait, as in the Go version; the bytes per task are
    measured then. Returns (seconds, CPU seconds, resident bytes per blocked
    task)."""
    base = rss_bytes()
    gate = asyncio.Event()
    blocked = 0

    async def sleeper():
        nonlocal blocked
        blocked += 1
        await gate.wait()
        await asyncio.sleep(SLEEP_FOR)

    c0, t0 = time.process_time(), time.perf_counter()
    if api == "gather":
        tasks = [asyncio.ensure_future(sleeper()) for _ in range(SLEEP_TASKS)]
        while blocked < SLEEP_TASKS:
            await asyncio.sleep(0)
        held = rss_bytes() - base
        gate.set()
        await asyncio.gather(*tasks)
    else:
        async with asyncio.TaskGroup() as tg:
            for _ in range(SLEEP_TASKS):
                tg.create_task(sleeper())
            while blocked < SLEEP_TASKS:
                await asyncio.sleep(0)
            held = rss_bytes() - base
            gate.set()
    return time.perf_counter() - t0, time.process_time() - c0, held / SLEEP_TASKS


# (d) ----------------------------------------------------------------------


class Boom(Exception):
    pass


async def cancel_round():
    """One round of (d): CANCEL_TASKS-1 tasks wait forever, one fails once
    they all wait; the TaskGroup cancels them. Returns seconds until the
    TaskGroup has exited, i.e. every task has returned, and the CPU seconds
    spent."""
    loop = asyncio.get_running_loop()
    ready = 0

    async def block():
        nonlocal ready
        ready += 1
        # Each task waits on a future of its own, as each Go task waits on
        # its own context's Done channel.
        await loop.create_future()

    async def fail():
        while ready < CANCEL_TASKS - 1:
            await asyncio.sleep(0)
        raise Boom()

    c0, t0 = time.process_time(), time.perf_counter()
    try:
        async with asyncio.TaskGroup() as tg:
            for _ in range(CANCEL_TASKS - 1):
                tg.create_task(block())
            tg.create_task(fail())
    except* Boom:
        pass
    else:
        raise AssertionError("the TaskGroup did not fail")
    return time.perf_counter() - t0, time.process_time() - c0


# ---------------------------------------------------------------------------


def run_case(case, api, n, rounds, budget, eager):
    """Runs one case in this process and prints its JSON line."""

    async def main():
        if eager:
            asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
        rec = {"workload": case, "impl": "asyncio-" + api + ("-eager" if eager else "")}
        if case == "spawn":
            rec["n"] = n
            rec["sec_per_op"], rec["cpu_sec_per_op"], rec["ops"] = await time_spawn(api, n, budget)
        elif case == "sleep":
            times, cpu, per_task = [], [], []
            base = rss_bytes()
            for _ in range(rounds):
                t, c, b = await sleep_round(api)
                times.append(t)
                cpu.append(c)
                per_task.append(b)
            rec["sec_per_op"] = statistics.median(times)
            rec["cpu_sec_per_op"] = statistics.median(cpu)
            # The first round starts from an empty heap, as the Go benchmark
            # does in its own fresh process; later rounds reuse the memory
            # the first one left, so their RSS barely moves.
            rec["bytes_per_task"] = per_task[0]
            # The process's peak resident set over the rounds, less what it
            # held before them: the counterpart of the Go benchmark's
            # sys-B/task.
            rec["peak_bytes_per_task"] = (peak_rss_kib() * 1024 - base) / SLEEP_TASKS
            rec["ops"] = rounds
        elif case == "cancel":
            results = [await cancel_round() for _ in range(rounds)]
            rec["sec_per_op"] = statistics.median(t for t, _ in results)
            rec["cpu_sec_per_op"] = statistics.median(c for _, c in results)
            rec["ops"] = rounds
        return rec

    rec = asyncio.run(main())
    rec["peak_rss_kib"] = peak_rss_kib()
    print(json.dumps(rec), flush=True)


def cases():
    eagers = (False, True) if HAS_EAGER else (False,)
    for eager in eagers:
        for n in SPAWN_SIZES:
            for api in ("gather", "taskgroup"):
                yield "spawn", api, n, eager
    yield "sleep", "gather", SLEEP_TASKS, False
    yield "sleep", "taskgroup", SLEEP_TASKS, False
    yield "cancel", "taskgroup", CANCEL_TASKS, False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5, help="rounds of (c) and (d) per case")
    ap.add_argument("--budget", type=float, default=1.0, help="seconds to repeat each (a) case")
    ap.add_argument("--one", nargs=4, metavar=("CASE", "API", "N", "EAGER"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        case, api, n, eager = args.one
        run_case(case, api, int(n), args.rounds, args.budget, eager == "1")
        return
    print(json.dumps({"python": sys.version.split()[0], "executable": sys.executable,
                      "eager_task_factory": HAS_EAGER}), flush=True)
    for case, api, n, eager in cases():
        subprocess.run([sys.executable, __file__, "--rounds", str(args.rounds), "--budget",
                        str(args.budget), "--one", case, api, str(n), "1" if eager else "0"],
                       check=True)


if __name__ == "__main__":
    main()
