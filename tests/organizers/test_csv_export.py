"""CSV exports stream in chunks and leave a gevent worker to its other requests."""

import csv
import io
from pathlib import Path

from organizers.csv_export import csv_chunks, stream_csv
from tests.gevent_probe import under_gevent

ROOT = Path(__file__).resolve().parent.parent.parent


def test_rows_go_out_in_chunks_as_csv_writes_them():
    rows = [["id", "name"], *([str(n), f'Sam "{n}", =1+1'] for n in range(450))]

    chunks = list(csv_chunks(rows, per_chunk=200))

    assert len(chunks) == 3
    assert list(csv.reader(io.StringIO("".join(chunks)))) == rows


def test_the_response_is_a_utf8_csv_attachment():
    response = stream_csv([["é"]], filename="x-1.csv")

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x-1.csv"'
    assert b"".join(response.streaming_content).decode() == "é\r\n"


def test_under_gevent_other_requests_run_between_chunks():
    # What gunicorn's gevent worker does before it loads the app: patch, then
    # import. A greenlet ticks while another reads an export whose rows take
    # CPU and never wait: it only gets to run if the export gives way.
    probe = """
import gevent
from organizers.csv_export import stream_csv

state = {"reading": False, "ticks": 0}
def ticker():
    while True:
        state["ticks"] += state["reading"]
        gevent.sleep(0)
def rows():
    for n in range(2000):
        yield [n, sum(range(2000))]
def read():
    state["reading"] = True
    try:
        return len(b"".join(stream_csv(rows(), filename="x.csv").streaming_content))
    finally:
        state["reading"] = False
gevent.spawn(ticker)
gevent.sleep(0)
print(gevent.spawn(read).get() > 0, state["ticks"])
"""
    read, ticks = under_gevent(probe)[-2:]
    assert read == "True"
    assert int(ticks) >= 5  # 2,000 rows, 200 a chunk: a turn between each two
