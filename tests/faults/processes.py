"""Real Celery workers (and other commands) as subprocesses for the fault tests."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))


def wait_for(check: Callable[[], object], *, timeout: float, what: str) -> object:
    """Poll ``check`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}")


def database_url() -> str:
    """The URL of the test database, for processes that must share it (PostgreSQL)."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    port = db["PORT"] or 5432
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{port}/{db['NAME']}"


def embedded_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of `make run` without Redis: the embedded default."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "VAR_DIR": str(var_dir),
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


class Worker:
    """``celery -A <app> worker`` in its own process group; kill it at will."""

    def __init__(
        self,
        env: dict[str, str],
        log: Path,
        app: str = "tests.faults.worker_app",
        queue: str = "",
        concurrency: int = 1,
    ) -> None:
        self.env = env
        self.log = log
        self.app = app
        self.queue = queue
        self.concurrency = concurrency
        self.process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter
                [
                    CELERY,
                    "-A",
                    self.app,
                    "worker",
                    "--loglevel",
                    "INFO",
                    "--concurrency",
                    str(self.concurrency),
                    "--pool",
                    "prefork",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    *(["-Q", self.queue] if self.queue else []),
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        wait_for(
            lambda: b" ready." in self.log.read_bytes(),
            timeout=timeout,
            what=f"the worker to be ready (log: {self.log})",
        )

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool) at once."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process:
            # Pool processes left by a killed parent.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)


class WebServer:
    """``manage.py runserver`` (no reloader) in its own process group."""

    def __init__(self, env: dict[str, str], log: Path, port: int) -> None:
        self.env = {**env, "PORT": str(port)}
        self.log = log
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "WebServer":
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter
                [
                    sys.executable,
                    "manage.py",
                    "runserver",
                    "--noreload",
                    "--skip-checks",
                    f"127.0.0.1:{self.port}",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(
            lambda: b"Quit the server" in self.log.read_bytes(),
            timeout=60,
            what=f"the web server (log: {self.log})",
        )
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
