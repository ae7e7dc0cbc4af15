"""The registration page's weight and time to first byte, against the minimal view."""

from __future__ import annotations

import http.client
import time
from typing import Any

from bench.flash_setup import Failed

PROBES = 60


def page_probe(*, app_port: int, minimal: str, page: str) -> dict[str, Any]:
    """Page weight and time to first byte of the page, against the minimal view.

    One keep-alive connection each, one request at a time (no queueing),
    the two alternately: the median time until the status line and
    headers arrived, and the body's bytes (HTML only, uncompressed; its
    two static files are cached by the browser).
    """
    targets = {"minimal_view": minimal, "registration_page": page}
    conns = {
        name: http.client.HTTPConnection("127.0.0.1", app_port, timeout=30)
        for name in targets
    }
    firsts: dict[str, list[float]] = {name: [] for name in targets}
    sizes: dict[str, int] = dict.fromkeys(targets, 0)
    # Alternately, so that both see the machine in the same state.
    for _n in range(PROBES):
        for name, path in targets.items():
            began = time.perf_counter()
            conns[name].request("GET", path, headers={"Host": "127.0.0.1"})
            answer = conns[name].getresponse()
            firsts[name].append(time.perf_counter() - began)
            body = answer.read()
            if answer.status != 200:
                raise Failed(f"{path}: {answer.status}")
            sizes[name] = max(sizes[name], len(body))
    figures: dict[str, Any] = {}
    for name, conn in conns.items():
        conn.close()
        ordered = sorted(firsts[name])
        figures[name] = {
            "ttfb_ms": round(ordered[len(ordered) // 2] * 1000, 2),
            "bytes": sizes[name],
        }
    page_f, minimal_f = figures["registration_page"], figures["minimal_view"]
    figures["ttfb_ratio_to_minimal_view"] = round(
        page_f["ttfb_ms"] / (minimal_f["ttfb_ms"] or 1), 2
    )
    figures["bytes_ratio_to_minimal_view"] = round(
        page_f["bytes"] / (minimal_f["bytes"] or 1), 1
    )
    print(
        f"  page weight {page_f['bytes']} bytes (minimal view "
        f"{minimal_f['bytes']}); time to first byte {page_f['ttfb_ms']} ms, "
        f"{figures['ttfb_ratio_to_minimal_view']} x the minimal view's "
        f"{minimal_f['ttfb_ms']} ms",
        flush=True,
    )
    return figures
