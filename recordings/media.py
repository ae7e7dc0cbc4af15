"""Serve a recording's bytes: HTTP range requests, streamed from storage."""

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)

from recordings.models import Recording

CHUNK_SIZE = 256 * 1024
# Byte positions of at most 18 digits: a longer number names no byte of any
# file (and Python refuses to read numbers past 4,300 digits). Such a header
# matches nothing and the whole file is sent, as RFC 9110 allows.
RANGE_RE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")


class RangeNotSatisfiable(Exception):
    pass


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """Return (first, last) byte positions of a single range, or None for all.

    Several ranges, or a header that is not a byte range, are ignored (the
    whole file is sent, as RFC 9110 allows); a range that starts past the end
    is not satisfiable.
    """
    match = RANGE_RE.match(header.strip().replace(" ", ""))
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0:
            raise RangeNotSatisfiable
        return max(size - suffix, 0), size - 1
    start = int(first)
    if start >= size:
        raise RangeNotSatisfiable
    end = int(last) if last else size - 1
    if end < start:
        return None
    return start, min(end, size - 1)


def iterate_file(recording: Recording, start: int, length: int) -> Iterator[bytes]:
    """Yield ``length`` bytes from ``start``, chunk by chunk, then close."""
    handle = recording.file.storage.open(recording.file.name, "rb")
    try:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


def allow_external_media(response: HttpResponse, recording: Recording) -> HttpResponse:
    """Let a page's player follow the media endpoint's redirect to an external URL.

    The Content-Security-Policy allows media from this site (and a configured S3
    store) only; the origin of an external recording joins `media-src` for the
    page that plays it (django-csp's per-response update).
    """
    if recording.is_external:
        parts = urlsplit(recording.external_url)
        if parts.scheme in ("http", "https") and parts.netloc:
            update = dict(getattr(response, "_csp_update", None) or {})
            update["media-src"] = [f"{parts.scheme}://{parts.netloc}"]
            response._csp_update = update  # noqa: SLF001 - django-csp's hook
    return response


def serve_recording(request: HttpRequest, recording: Recording) -> HttpResponse:
    """Answer a GET for the recording's bytes, honouring a Range header."""
    if recording.is_external:
        return HttpResponseRedirect(recording.external_url)
    storage = recording.file.storage
    try:
        storage.path(recording.file.name)
    except NotImplementedError:
        # Remote storage (S3...): its own short-lived signed URL serves
        # ranges itself (AWS_QUERYSTRING_EXPIRE, the README, "Recordings").
        return HttpResponseRedirect(storage.url(recording.file.name))
    size = storage.size(recording.file.name)
    content_type = recording.content_type or "application/octet-stream"
    try:
        byte_range = parse_range(request.headers.get("Range", ""), size)
    except RangeNotSatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return finish(response)
    if byte_range is None:
        start, length, status = 0, size, 200
    else:
        start, last = byte_range
        length, status = last - start + 1, 206
    body = iterate_file(recording, start, length) if request.method != "HEAD" else []
    response = StreamingHttpResponse(body, status=status, content_type=content_type)
    response["Content-Length"] = str(length)
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{start + length - 1}/{size}"
    return finish(response)


def finish(response: HttpResponse) -> HttpResponse:
    response["Accept-Ranges"] = "bytes"
    # Personal media: never kept by shared caches, never sniffed as HTML.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
