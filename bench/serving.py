"""Where a paid start's latency goes under gunicorn: `python -m bench.serving`.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL, as the flash-sale benchmark.
For each serving shape given (WORKERSxTHREADS, e.g. 2x32 4x16 2x8), it starts
the app under gunicorn gthread as the Procfile does, then runs paid starts at
`--clients` closed-loop keep-alive clients, with the sandbox answering at
once, then (every shape again) `--latency` s late. Per run it prints
throughput, p50/p99, web CPU per start, and how the clients' connections
and the requests were spread over the worker processes (connections sampled
with `ss` during the run, requests from each worker's CPU): an uneven spread
queues requests in one worker while the other has idle threads.

python -m bench.serving [--shapes 2x32,4x16] [--clients 64] [--seconds 8]
                        [--latency 0.4] [--late-only] [--gunicorn-args ARGS]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def connections_by_worker(port: int, workers: list[int]) -> dict[int, int]:
    """Established connections to `port` held by each worker pid (ss -tnp)."""
    out = subprocess.run(  # noqa: S603 - fixed arguments
        ["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    counts = dict.fromkeys(workers, 0)
    for pid in re.findall(r"pid=(\d+)", out):
        if int(pid) in counts:
            counts[int(pid)] += 1
    return counts


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(child) for child in path.read_text().split()]
    except OSError:
        return []


def run_shape(bench: Any, shape: str, delay: float, args: argparse.Namespace) -> dict:
    """Serve the app as `shape` (WORKERSxTHREADS) and measure paid starts."""
    from bench.flash_setup import form_request, gunicorn_command, post_request
    from bench.registration import ROOT, wait_for

    workers, threads = (int(n) for n in shape.split("x"))
    command = gunicorn_command(
        "bench.wsgi:application", bench.app_port, workers, threads
    )
    command += args.gunicorn_args.split()
    web = subprocess.Popen(command, cwd=ROOT, env=bench.env)  # noqa: S603
    bench.processes["web"] = web
    try:
        wait_for(bench.app_port, "/bench/bare/", timeout=120)
        time.sleep(1.0)
        page = f"/register/{bench.ids['paid']['key']}/"
        row = measured(
            bench,
            web.pid,
            f"{shape} +{delay}s",
            post_request(page, form_request(f"s{shape}-{delay}")),
            page,
            args,
        )
    finally:
        web.terminate()
        web.wait(timeout=30)
        del bench.processes["web"]
    row.update(shape=shape, latency_s=delay)
    print(
        f"{shape:>6} +{delay}s {row['per_second']:7.1f}/s"
        f"  p50 {row['p50_ms']:7.1f}  p99 {row['p99_ms']:7.1f}"
        f"  web CPU {row['web_cpu_ms_per_start']:5.2f} ms"
        f"  by worker {row['cpu_ms_per_start_by_worker']}"
        f"  connections median {row['connections_by_worker_median']}"
        f" max {row['connections_by_worker_max']}  load {row['load_average']}",
        flush=True,
    )
    return row


def measured(
    bench: Any, pid: int, name: str, request: Any, page: str, args: argparse.Namespace
) -> dict:
    """Run the load; add CPU per start by worker and the connections' spread."""
    from bench.flash_setup import cpu_seconds
    from bench.load import run_load

    pids = children(pid)
    spread: list[dict[int, int]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(1.0):
            spread.append(connections_by_worker(bench.app_port, pids))

    sampler = threading.Thread(target=sample, daemon=True)
    before = {one: cpu_seconds(one) for one in pids}
    master = cpu_seconds(pid) - sum(before.values())
    sampler.start()
    result = run_load(
        bench.app_port,
        name,
        request,
        clients=args.clients,
        seconds=args.seconds,
        expect=303,
        prime=page,
    )
    done.set()
    sampler.join()
    after = {one: cpu_seconds(one) for one in pids}
    master = cpu_seconds(pid) - sum(after.values()) - master
    ok = max(result.ok, 1)
    busy = [round((after[one] - before[one]) * 1000 / ok, 2) for one in pids]
    return {
        **result.row(),
        "web_cpu_ms_per_start": round(sum(busy) + master * 1000 / ok, 2),
        "cpu_ms_per_start_by_worker": busy,
        "connections_by_worker_median": [
            statistics.median(s[one] for s in spread) if spread else 0 for one in pids
        ],
        "connections_by_worker_max": [
            max((s[one] for s in spread), default=0) for one in pids
        ],
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="2x32")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--latency", type=float, default=0.4, help="0: none")
    parser.add_argument("--late-only", action="store_true", help="skip 0 s runs")
    parser.add_argument(
        "--gunicorn-args",
        default="",
        help="added to every shape's command, e.g. '--worker-connections 32'",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.flash import Bench

    with tempfile.TemporaryDirectory(prefix="tessera-serving-") as workdir:
        bench = Bench(Path(workdir), quick=True)
        try:
            bench.start(launch=("sandbox",))
            shapes = args.shapes.split(",")
            for shape in shapes if not args.late_only else ():
                run_shape(bench, shape, 0.0, args)
            if args.latency > 0:
                # From now on the sandbox answers every API request late.
                bench.control("faults", kind="timeout", count=10**7, delay=args.latency)
                for shape in shapes:
                    run_shape(bench, shape, args.latency, args)
        finally:
            bench.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
