"""CSV exports streamed in chunks, the worker's other requests served between them.

Under the Procfile's gevent workers a request runs until it waits. An export
waits when its writes fill the client's socket; a reader that empties it as
fast as it fills (a proxy buffering the response) may never make it wait,
and the export would keep its worker from every other request (a sale's
registrants, Stripe's webhooks) until its last row.
Here rows go out ROWS_PER_CHUNK at a time (one write and one chunk of the
chunked response, not one per row), and between two chunks the export
gives way: `time.sleep(0)` lets the other greenlets run under gevent's
patch, and another thread take the interpreter lock under threads.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse

ROWS_PER_CHUNK = 200


class _Line:
    """A file whose write returns the line written (csv.writer's output)."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(
    rows: Iterable[Sequence[Any]], *, per_chunk: int = ROWS_PER_CHUNK
) -> Iterator[str]:
    """Yield the CSV lines of `rows`, `per_chunk` rows at a time."""
    writer = csv.writer(_Line())
    lines: list[str] = []
    for row in rows:
        lines.append(writer.writerow(row))
        if len(lines) >= per_chunk:
            yield "".join(lines)
            lines = []
            time.sleep(0)  # the worker's other requests, between two chunks
    if lines:
        yield "".join(lines)


def stream_csv(
    rows: Iterable[Sequence[Any]], *, filename: str
) -> StreamingHttpResponse:
    """Stream `rows` as a CSV attachment named `filename` (UTF-8)."""
    response = StreamingHttpResponse(
        csv_chunks(rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
