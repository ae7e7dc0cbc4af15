"""The production web process: gunicorn's gevent workers, cooperative to the end.

A request waiting on Stripe (0.3-0.6 s) is a greenlet, not a thread: the
README's serving model. Every library on the request's path must then wait
through gevent's patched sockets, or one wait stops the whole worker.
"""

import re
from pathlib import Path

from bench.flash_setup import procfile_web_command
from tests.gevent_probe import under_gevent

ROOT = Path(__file__).resolve().parent.parent


def web_command() -> str:
    return next(
        line.partition(":")[2]
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line.startswith("web:")
    )


def default(command: str, option: str) -> int:
    """The default of `option ${NAME:-default}` in the Procfile's command."""
    found = re.search(rf"{option} \$\{{\w+:-(\d+)\}}", command)
    assert found, f"{option} not in {command}"
    return int(found[1])


def test_the_web_runs_gevent_workers_with_room_for_a_sale():
    web = web_command()
    assert "--worker-class gevent" in web
    # Requests waiting on Stripe at once, per worker: 0.4 s x 200 starts/s is
    # 80 across the workers.
    assert default(web, "--worker-connections") >= 256
    assert default(web, "--workers") >= 1


def test_the_bench_runs_the_web_as_the_procfile_does(monkeypatch):
    monkeypatch.setenv("WEB_WORKERS", "3")

    command = procfile_web_command("bench.wsgi:application", 8123)

    assert command[command.index("--worker-class") + 1] == "gevent"
    assert command[command.index("--workers") + 1] == "3"
    assert command[command.index("--bind") + 1] == "127.0.0.1:8123"
    assert "bench.wsgi:application" in command


def test_under_gevent_the_drivers_wait_cooperatively():
    # What gunicorn's gevent worker does before it loads the app: patch, then
    # import. psycopg then waits through the patched select, and the Stripe
    # client's and Redis's sockets are gevent's.
    wait, patched = under_gevent(
        "import socket, gevent.socket, psycopg.waiting, urllib3, redis\n"
        "print(psycopg.waiting.wait.__name__)\n"
        "print(socket.socket is gevent.socket.socket)\n",
        django=False,
    )
    assert wait != "wait_c"  # psycopg's C wait would block the whole worker
    assert patched == "True"
