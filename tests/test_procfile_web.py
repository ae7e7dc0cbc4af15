"""The production web process: gthread, as many connections as threads.

With no connection left over for an idle keep-alive one, gthread closes each
connection after its response: every request comes on a new connection,
which whichever worker accepts first takes (the README's serving model).
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def default(command: str, option: str) -> int:
    """The default of `option ${NAME:-default}` in the Procfile's command."""
    found = re.search(rf"{option} \$\{{\w+:-(\d+)\}}", command)
    assert found, f"{option} not in {command}"
    return int(found[1])


def test_each_web_worker_holds_no_more_connections_than_it_has_threads():
    # With keep-alive, gthread workers keep the connections they accepted,
    # unevenly (13/51 seen with 64 clients): requests on the fuller worker then
    # wait behind Stripe calls while the other has idle threads.
    web = next(
        line.partition(":")[2]
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line.startswith("web:")
    )
    assert "--worker-class gthread" in web
    assert default(web, "--worker-connections") == default(web, "--threads") == 32
