"""The project's Celery app plus one probe task, for worker subprocesses in tests.

``celery -A tests.faults.worker_app worker`` runs the real configuration
(config/celery.py, the settings' broker) with ``tests.faults.record`` added:
it appends "start <token>" to a file, sleeps (on its first run only), then
appends "done <token>".
"""

import time
from pathlib import Path

from config.celery import app

__all__ = ["app", "record"]


@app.task(name="tests.faults.record", acks_late=True, ignore_result=True)
def record(path: str, token: str, seconds: float = 0.0) -> None:
    with Path(path).open("a") as log:
        log.write(f"start {token}\n")
    if Path(path).read_text().count(f"start {token}\n") == 1:
        time.sleep(seconds)
    with Path(path).open("a") as log:
        log.write(f"done {token}\n")
