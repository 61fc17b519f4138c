#!/usr/bin/python3
"""Fetch a URL list with asyncio and aiohttp, in the pattern the project's seed
shows: a Semaphore bounds the requests in flight, one task per URL, gather,
then a summary sorted by duration.

This is the Python side of the fetch benchmark (bench/fetch/run.sh). It uses
Debian's python3-aiohttp and installs it with apt-get when it is missing, so
run it with /usr/bin/python3 (a pyenv python3 earlier on PATH would not see
Debian's packages).

Usage:
    aiohttp_fetch.py [-c 64] [--list] -i FILE|-
    aiohttp_fetch.py --install-only

Prints one summary line on stdout, in the same form as the floor:
    urls=20000 ok=20000 failed=0 bytes=20000000 wall=12.345s rps=1620.1
With --list, every URL follows, fastest first, as the seed prints them.
"""

import argparse
import asyncio
import os
import subprocess
import sys
import time


def ensure_aiohttp():
    """Import aiohttp, installing Debian's python3-aiohttp first if needed."""
    try:
        import aiohttp  # noqa: F401
        return
    except ImportError:
        pass
    print("aiohttp_fetch: installing python3-aiohttp with apt-get", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "python3-aiohttp"]):
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    import aiohttp  # noqa: F401


def read_urls(path):
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")
    with stream:
        return [line.strip() for line in stream
                if line.strip() and not line.lstrip().startswith("#")]


async def fetch(session, sem, url):
    """Fetch one URL under the semaphore; return (url, status, bytes, seconds, error)."""
    import aiohttp
    async with sem:
        start = time.perf_counter()
        try:
            async with session.get(url) as resp:
                body = await resp.read()
                return url, resp.status, len(body), time.perf_counter() - start, None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return url, None, 0, time.perf_counter() - start, repr(exc)


async def fetch_all(urls, concurrency, timeout):
    import aiohttp
    sem = asyncio.Semaphore(concurrency)
    # The connector's pool matches the semaphore, so connections are reused
    # rather than opened per request.
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:
        tasks = [asyncio.create_task(fetch(session, sem, url)) for url in urls]
        return await asyncio.gather(*tasks)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-i", dest="input", help="URL list: a file, or - for stdin")
    parser.add_argument("-c", dest="concurrency", type=int, default=64, help="requests in flight at most")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout, seconds")
    parser.add_argument("--list", action="store_true", help="print every URL, fastest first")
    parser.add_argument("--install-only", action="store_true", help="install aiohttp if missing, then exit")
    args = parser.parse_args()

    ensure_aiohttp()
    if args.install_only:
        return 0
    if not args.input or args.concurrency < 1:
        parser.error("need -i FILE|- and -c >= 1")
    try:
        urls = read_urls(args.input)
    except OSError as exc:
        print(f"aiohttp_fetch: {exc}", file=sys.stderr)
        return 2

    start = time.perf_counter()
    results = asyncio.run(fetch_all(urls, args.concurrency, args.timeout))
    wall = time.perf_counter() - start

    results.sort(key=lambda r: r[3])
    ok = sum(1 for r in results if r[4] is None and 200 <= r[1] < 300)
    received = sum(r[2] for r in results)
    print(f"urls={len(results)} ok={ok} failed={len(results) - ok} bytes={received} "
          f"wall={wall:.3f}s rps={len(results) / wall:.1f}")
    if args.list:
        for url, status, size, seconds, error in results:
            print(f"{seconds * 1000:9.1f} ms  {status or '-':>3}  {size:>9}  {url}  {error or ''}")
    return 0 if ok == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
