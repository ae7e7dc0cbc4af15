"""The statements of one request, in order: `python -m bench.profile --timeline`.

Each statement's start (ms from the request's start) and duration, the
median over several calls, with the first words of its SQL. A statement
between the capacity lock (`FOR UPDATE`) and the COMMIT runs while other
starts of the same webinar wait: that span caps the starts per second.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def timeline(call: Callable[[int], None], *, count: int = 20, first: int = 0) -> str:
    """Call `call(n)` `count` times; return the median timeline as text."""
    from django.db import connection

    from organizers.plain_sql import readable

    runs: list[list[tuple[float, float, str]]] = []
    for n in range(first, first + count):
        began = time.perf_counter()
        seen: list[tuple[float, float, str]] = []

        def record(
            execute: Any,
            sql: str,
            params: Any,
            many: bool,
            context: Any,
            seen: list = seen,
            began: float = began,
        ) -> Any:
            start = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                end = time.perf_counter()
                seen.append(((start - began) * 1000, (end - start) * 1000, sql))

        with connection.execute_wrapper(record):
            call(n)
        seen.append(((time.perf_counter() - began) * 1000, 0.0, "(response)"))
        runs.append(seen)
    shapes = {len(run) for run in runs}
    lines = [f"median of {count} calls ({'/'.join(map(str, sorted(shapes)))} rows)"]
    usual = max(shapes, key=lambda size: sum(len(run) == size for run in runs))
    same = [run for run in runs if len(run) == usual]
    for index in range(usual):
        at = statistics.median(run[index][0] for run in same)
        took = statistics.median(run[index][1] for run in same)
        sql = " ".join(readable(same[0][index][2]).split())[:90]
        lines.append(f"{at:7.2f} +{took:5.2f}  {sql}")
    return "\n".join(lines)
