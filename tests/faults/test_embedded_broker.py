"""The embedded default's broker (config/broker.py) with real worker processes."""

import sqlite3
import subprocess
import sys
import uuid

from celery import Celery
from kombu.transport import resolve_transport
from kombu.transport import sqlalchemy as kombu_sqla

from config.broker import Transport
from tests.faults.processes import ROOT, Worker, embedded_env, wait_for
from tests.faults.redis_server import RedisServer

PRINT_BROKER = (
    "import django; django.setup(); from django.conf import settings; "
    "from config.celery import app; "
    "print(settings.CELERY_BROKER_URL); print(app.connection().transport_cls)"
)


def settings_broker(env: dict[str, str]) -> list[str]:
    out = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", PRINT_BROKER],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


def test_settings_choose_the_sqlalchemy_broker_by_default(tmp_path):
    url, transport = settings_broker(embedded_env(tmp_path))
    assert url == f"tessera-sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    assert transport == "tessera-sqla"
    assert issubclass(resolve_transport("tessera-sqla"), kombu_sqla.Transport)
    assert resolve_transport("tessera-sqla") is Transport


def test_redis_stays_the_broker_when_redis_url_is_set(tmp_path):
    env = embedded_env(tmp_path, REDIS_URL="redis://127.0.0.1:6379/4")
    url, transport = settings_broker(env)
    assert url == "redis://127.0.0.1:6379/4"
    assert transport == "redis"


def publisher(var_dir) -> Celery:
    return Celery(
        "probe",
        broker=f"tessera-sqla+sqlite:///{var_dir / 'broker.sqlite3'}",
        set_as_current=False,
    )


def broker_rows(var_dir) -> list[tuple]:
    with sqlite3.connect(var_dir / "broker.sqlite3") as db:
        return db.execute("SELECT id, visible, payload FROM kombu_message").fetchall()


def lines(path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_a_worker_on_the_embedded_broker_runs_tasks(tmp_path):
    out = tmp_path / "record.txt"
    tokens = [uuid.uuid4().hex for _ in range(3)]
    app = publisher(tmp_path)
    for token in tokens:
        app.send_task("tests.faults.record", args=[str(out), token])
    worker = Worker(embedded_env(tmp_path), tmp_path / "worker.log").start()
    try:
        wait_for(
            lambda: len([x for x in lines(out) if x.startswith("done")]) == 3,
            timeout=60,
            what="three tasks",
        )
    finally:
        worker.stop()
    assert sorted(lines(out)) == sorted(
        [f"start {t}" for t in tokens] + [f"done {t}" for t in tokens]
    )
    # Acknowledged messages are deleted, not kept hidden.
    assert broker_rows(tmp_path) == []


def test_acknowledgements_from_the_pool_thread_delete_every_message(tmp_path):
    """Celery acknowledges from the pool's result thread while the consumer
    thread polls: every acknowledgement must still delete its message."""
    out = tmp_path / "record.txt"
    tokens = [uuid.uuid4().hex for _ in range(40)]
    app = publisher(tmp_path)
    for token in tokens:
        app.send_task("tests.faults.record", args=[str(out), token])
    log = tmp_path / "worker.log"
    worker = Worker(embedded_env(tmp_path), log, concurrency=2).start()
    try:
        wait_for(
            lambda: len([x for x in lines(out) if x.startswith("done")]) == 40,
            timeout=120,
            what="forty tasks",
        )
        wait_for(lambda: broker_rows(tmp_path) == [], timeout=30, what="acks")
    finally:
        worker.stop()
    assert "exec failed" not in log.read_text()
    assert sorted(x.split()[1] for x in lines(out) if x.startswith("start")) == sorted(
        tokens
    )


def test_a_task_whose_worker_is_killed_runs_again_after_restart(tmp_path):
    """acks_late + SIGKILL mid-task: the message comes back, nothing is lost."""
    out = tmp_path / "record.txt"
    env = embedded_env(tmp_path, CELERY_BROKER_VISIBILITY_TIMEOUT="2")
    app = publisher(tmp_path)
    slow, quick = uuid.uuid4().hex, uuid.uuid4().hex
    app.send_task("tests.faults.record", args=[str(out), slow, 30])
    app.send_task("tests.faults.record", args=[str(out), quick])
    worker = Worker(env, tmp_path / "worker.log").start()
    try:
        wait_for(lambda: f"start {slow}" in lines(out), timeout=60, what="start")
        worker.kill()
        # Killed mid-task: taken (hidden), not acknowledged, not deleted.
        rows = broker_rows(tmp_path)
        assert any(slow in payload and not visible for _id, visible, payload in rows)
        assert f"done {slow}" not in lines(out)
    finally:
        worker.stop()
    # The restarted worker runs the interrupted task again (it sleeps on its
    # first run only), and the other one once.
    worker = Worker(env, tmp_path / "worker-2.log").start()
    try:
        wait_for(lambda: f"done {slow}" in lines(out), timeout=60, what="rerun")
        wait_for(lambda: f"done {quick}" in lines(out), timeout=60, what="quick")
    finally:
        worker.stop()
    assert lines(out).count(f"start {slow}") == 2
    assert lines(out).count(f"done {slow}") == 1
    assert lines(out).count(f"start {quick}") == 1
    assert broker_rows(tmp_path) == []


def first_queue_first(tmp_path, app: Celery, env: dict[str, str]) -> None:
    """Queue three other tasks, then three Stripe events; a worker consuming
    `-Q stripe-events,celery` runs every event before any other task."""
    out = tmp_path / "record.txt"
    others = [f"other-{n}" for n in range(3)]
    events = [f"event-{n}" for n in range(3)]
    for token in others:
        app.send_task("tests.faults.record", args=[str(out), token], queue="celery")
    for token in events:
        app.send_task(
            "tests.faults.record", args=[str(out), token], queue="stripe-events"
        )
    worker = Worker(env, tmp_path / "worker.log", queue="stripe-events,celery")
    worker.start()
    try:
        wait_for(
            lambda: len([x for x in lines(out) if x.startswith("done")]) == 6,
            timeout=60,
            what="six tasks",
        )
    finally:
        worker.stop()
    started = [x.split()[1] for x in lines(out) if x.startswith("start")]
    assert started[:3] == events
    assert sorted(started[3:]) == others


def test_a_worker_takes_the_first_queue_it_consumes_first(tmp_path):
    """The embedded broker with queue_order_strategy "priority" (the
    settings'); kombu's virtual transports would alternate the queues."""
    first_queue_first(tmp_path, publisher(tmp_path), embedded_env(tmp_path))


def test_on_redis_too_the_first_queue_is_taken_first(tmp_path):
    redis = RedisServer(tmp_path / "redis").start()
    try:
        app = Celery("probe", broker=redis.url, set_as_current=False)
        first_queue_first(tmp_path, app, embedded_env(tmp_path, REDIS_URL=redis.url))
    finally:
        redis.stop()
