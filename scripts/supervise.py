"""Run one command and start it again whenever it exits, with backoff.

Used by Procfile.dev (``make run``): honcho stops every process as soon as one
exits, so each process runs under this supervisor, which never exits on its
own. A crashed worker or beat is restarted; the web server keeps serving.

    python scripts/supervise.py --name worker -- celery -A config worker

The command runs in its own process group; when it exits, whatever is left of
the group (a Celery worker's pool processes) is killed before the restart.
The delay between restarts doubles from --min-delay to --max-delay and falls
back to --min-delay once a run lasted --stable seconds. SIGTERM, SIGINT or
SIGHUP stop the command (SIGTERM to the command, then SIGKILL to its group after
--grace seconds) and the supervisor. Plain Python, no dependency.
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Supervisor:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.child: subprocess.Popen | None = None
        self.stopping = False
        self.restarts = 0

    def say(self, text: str) -> None:
        print(f"[supervise {self.args.name}] {text}", file=sys.stderr, flush=True)

    def on_signal(self, signum: int, _frame: object) -> None:
        self.stopping = True
        # The command alone: a Celery worker then shuts its pool down itself
        # (a warm shutdown); what is left of the group is killed afterwards.
        if self.child is not None and self.child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.child.send_signal(signal.SIGTERM)

    def signal_group(self, signum: int) -> None:
        if self.child is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.child.pid, signum)

    def run_once(self) -> int:
        self.child = subprocess.Popen(  # noqa: S603 - the command line we were given
            self.args.command, start_new_session=True
        )
        self.say(f"started pid {self.child.pid}")
        asked_at = None
        while True:
            try:
                code = self.child.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if not self.stopping:
                    continue
                asked_at = asked_at or time.monotonic()
                if time.monotonic() - asked_at > self.args.grace:
                    self.signal_group(signal.SIGKILL)
        # Leftovers of the group (pool processes orphaned by a killed parent).
        self.signal_group(signal.SIGKILL)
        return code

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.2, deadline - time.monotonic()))

    def loop(self) -> int:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self.on_signal)
        delay = self.args.min_delay
        while not self.stopping:
            started = time.monotonic()
            code = self.run_once()
            if self.stopping:
                break
            if time.monotonic() - started >= self.args.stable:
                delay = self.args.min_delay
            self.restarts += 1
            self.say(f"exited with {code}; restart {self.restarts} in {delay:.1f} s")
            self.sleep(delay)
            delay = min(delay * 2, self.args.max_delay)
        self.say("stopped")
        return 0


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="process", help="name used in log lines")
    parser.add_argument("--min-delay", type=float, default=1.0)
    parser.add_argument("--max-delay", type=float, default=30.0)
    parser.add_argument("--stable", type=float, default=60.0)
    # Under honcho's 5 s: honcho SIGKILLs a process still running 5 s after
    # its SIGTERM, and a supervisor killed first would leave its command
    # (in a session of its own) running with nobody to stop it.
    parser.add_argument("--grace", type=float, default=3.0)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command[:1] == ["--"]:
        args.command = args.command[1:]
    if not args.command:
        parser.error("no command to supervise")
    return args


def main(argv: list[str] | None = None) -> int:
    return Supervisor(parse(sys.argv[1:] if argv is None else argv)).loop()


if __name__ == "__main__":
    sys.exit(main())
