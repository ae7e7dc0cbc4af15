"""Closed-loop load: N clients (threads, keep-alive) hit one target for a while.

Each client sends its next request when the previous one answered; the result
counts successes, errors and latency percentiles.
"""

from __future__ import annotations

import http.client
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.registration import Client

# A request: (method, path, body or None, extra headers) for client i, request n.
Request = Callable[[int, int], tuple[str, str, Any, dict]]


@dataclass
class LoadResult:
    name: str
    clients: int
    ok: int
    errors: int
    seconds: float
    latencies: list[float] = field(repr=False, default_factory=list)
    first_error: str = ""
    # Answers by HTTP status (0: no answer).
    statuses: Counter = field(default_factory=Counter)

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def row(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "clients": self.clients,
            "ok": self.ok,
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
            "per_second": round(self.per_second, 1),
            "p50_ms": round(self.percentile(50) * 1000, 1),
            "p99_ms": round(self.percentile(99) * 1000, 1),
            "first_error": self.first_error,
        }


def run_load(
    port: int,
    name: str,
    request: Request,
    *,
    clients: int,
    seconds: float | None = None,
    total: int | None = None,
    expect: int = 200,
    prime: str | None = None,
    tell_errors: bool = True,
) -> LoadResult:
    """Run `clients` loops for `seconds`, or until `total` requests were sent.

    `tell_errors=False`: the caller sorts the answers out (result.statuses).
    """
    lock = threading.Lock()
    gate = threading.Barrier(clients + 1)
    stop_at = [float("inf")]
    issued = [0]
    result = LoadResult(name, clients, 0, 0, 0.0)

    def next_index() -> int | None:
        with lock:
            if total is not None and issued[0] >= total:
                return None
            issued[0] += 1
            return issued[0]

    def loop(index: int) -> None:
        client = Client(port)
        if prime:
            client.prime(prime)
        gate.wait()
        latencies: list[float] = []
        statuses: Counter = Counter()
        ok = bad = 0
        first = ""
        while time.monotonic() < stop_at[0]:
            n = next_index()
            if n is None:
                break
            method, path, body, headers = request(index, n)
            if body is not None and prime:
                body = body.replace("__csrf__", client.token)
            began = time.monotonic()
            try:
                status, data = client.request(method, path, body, headers)
            except (http.client.HTTPException, OSError) as error:
                status, data = 0, str(error).encode()
            latencies.append(time.monotonic() - began)
            statuses[status] += 1
            if status == expect:
                ok += 1
            else:
                bad += 1
                first = first or f"{status}: {data[:200]!r}"
        with lock:
            result.ok += ok
            result.errors += bad
            result.latencies.extend(latencies)
            result.statuses.update(statuses)
            result.first_error = result.first_error or first

    threads = [
        threading.Thread(target=loop, args=(i,), daemon=True) for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    gate.wait()
    began = time.monotonic()
    if seconds is not None:
        stop_at[0] = began + seconds
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - began
    if result.errors and tell_errors:
        print(
            f"  {name}: {result.errors} errors, first {result.first_error}",
            file=sys.stderr,
        )
    return result
