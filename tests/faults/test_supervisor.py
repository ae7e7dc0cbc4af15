"""scripts/supervise.py under honcho: a killed process returns, its sibling serves."""

import contextlib
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

from tests.faults.processes import ROOT, wait_for
from tests.registrations.smtp_sink import free_port

HONCHO = os.path.join(os.path.dirname(sys.executable), "honcho")
SUPERVISE = f"{sys.executable} {ROOT / 'scripts' / 'supervise.py'}"


def pids(path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def serves(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as reply:  # noqa: S310
            return reply.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def honcho_running(tmp_path, procfile: str) -> Iterator[subprocess.Popen]:
    """Run honcho on `procfile` in `tmp_path`; kill its whole session after."""
    (tmp_path / "Procfile").write_text(procfile)
    with (tmp_path / "honcho.log").open("wb") as log:
        honcho = subprocess.Popen(  # noqa: S603 - our own tools
            [HONCHO, "-f", str(tmp_path / "Procfile"), "-d", str(tmp_path), "start"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield honcho
        finally:
            if honcho.poll() is None:
                os.killpg(honcho.pid, signal.SIGKILL)


def test_a_killed_process_is_restarted_while_its_sibling_keeps_serving(tmp_path):
    port = free_port()
    pidfile = tmp_path / "worker.pids"
    sleeper = (
        "import os, time; "
        f"open({str(pidfile)!r}, 'a').write(str(os.getpid()) + ' '); "
        "time.sleep(600)"
    )
    procfile = (
        f"web: {SUPERVISE} --name web -- {sys.executable} -m http.server {port}"
        f" --bind 127.0.0.1 --directory {tmp_path}\n"
        f"worker: {SUPERVISE} --name worker --min-delay 0.2"
        f' -- {sys.executable} -c "{sleeper}"\n'
    )
    with honcho_running(tmp_path, procfile) as honcho:
        wait_for(lambda: serves(port), timeout=30, what="the web process")
        wait_for(lambda: len(pids(pidfile)) == 1, timeout=30, what="the worker")
        for round_ in (1, 2, 3):
            os.kill(int(pids(pidfile)[-1]), signal.SIGKILL)
            # The sibling answers while the worker is down and coming back.
            assert serves(port)
            wait_for(
                lambda n=round_: len(pids(pidfile)) == n + 1,
                timeout=30,
                what=f"restart {round_}",
            )
            assert serves(port)
            assert honcho.poll() is None, "honcho stopped everything"
        output = (tmp_path / "honcho.log").read_text()
        assert "[supervise worker] exited with -9; restart 3" in output
        assert "[supervise web] exited" not in output
        # Stopping honcho stops the supervisors and what they run.
        os.kill(honcho.pid, signal.SIGTERM)
        honcho.wait(timeout=30)
        assert not serves(port)


def test_restarts_back_off_and_a_signal_stops_the_supervisor(tmp_path):
    """A command that keeps failing is started again with growing delays."""
    log = tmp_path / "supervise.log"
    with log.open("wb") as out:
        supervisor = subprocess.Popen(  # noqa: S603 - our own interpreter
            [
                *SUPERVISE.split(),
                "--name",
                "flaky",
                "--min-delay",
                "0.1",
                "--max-delay",
                "0.4",
                "--",
                sys.executable,
                "-c",
                "import sys; sys.exit(3)",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(lambda: "restart 4 " in log.read_text(), timeout=60, what="restarts")
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=30) == 0
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
    text = log.read_text()
    for n, delay in ((1, "0.1"), (2, "0.2"), (3, "0.4"), (4, "0.4")):
        assert f"exited with 3; restart {n} in {delay} s" in text
    assert "[supervise flaky] stopped" in text


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for its parent does not)."""
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]  # noqa: PTH123, SIM115
    except OSError:
        return False
    return state != "Z"


def test_stopping_honcho_leaves_no_command_running(tmp_path):
    """A command slow to stop (a Celery worker's warm shutdown) is killed by its
    supervisor before honcho, 5 s after the first process stopped, kills the
    supervisor (which would leave the command, in a session of its own, running)."""
    pidfile = tmp_path / "stubborn.pid"
    stubborn = (
        "import os, signal, time; "
        "signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"open({str(pidfile)!r}, 'w').write(str(os.getpid())); "
        "time.sleep(600)"
    )
    # The sibling stops at once; honcho SIGKILLs what is left 5 s later.
    # The sibling stops at once; honcho SIGKILLs what is left 5 s later.
    procfile = (
        f"worker: PORT=1 {SUPERVISE} --name worker"
        f' -- {sys.executable} -c "{stubborn}"\n'
        f"web: PORT=1 {SUPERVISE} --name web -- {sys.executable} -c"
        ' "import time; time.sleep(600)"\n'
    )
    try:
        with honcho_running(tmp_path, procfile) as honcho:
            wait_for(lambda: bool(pids(pidfile)), timeout=30, what="the command")
            pid = int(pids(pidfile)[0])
            os.kill(honcho.pid, signal.SIGTERM)
            honcho.wait(timeout=30)
            wait_for(lambda: not alive(pid), timeout=10, what="the command's end")
    finally:
        if pids(pidfile) and alive(int(pids(pidfile)[0])):
            os.kill(int(pids(pidfile)[0]), signal.SIGKILL)
