"""A private redis-server for one test, stopped and started again at will.

Never the shared Redis on 6379: each test gets its own port and folder.
"""

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.faults.processes import wait_for
from tests.registrations.smtp_sink import free_port


class RedisServer:
    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            # CI installs Redis: there a missing program fails, elsewhere it skips.
            missing = pytest.fail if os.environ.get("CI") else pytest.skip
            missing("needs the redis-server program (CI installs Redis)")
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> "RedisServer":
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603 - the system's redis-server
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                # Keep the data across a stop: an outage, not a wipe.
                "--appendonly",
                "yes",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(self.answers, timeout=20, what=f"redis-server on {self.port}")
        except BaseException:
            # A server that never answered is not left running after the test.
            self.process.kill()
            self.process.wait(timeout=20)
            raise
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        wait_for(lambda: not self.answers(), timeout=10, what="redis to stop")
