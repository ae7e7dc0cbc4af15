"""The SDK's HTTP client on urllib3: answers as the SDK expects, errors it retries."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import stripe

from payments.gateway_client import Urllib3Client, _environment_proxy


class _Answer(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(402)
        self.send_header("Stripe-Should-Retry", "false")
        self.end_headers()
        self.wfile.write(b"echo:" + body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    httpd = HTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_an_answer_comes_back_with_its_status_and_headers(server):
    http = Urllib3Client(timeout=(2.0, 2.0), proxy=None)

    body, status, headers = http.request(
        "post", f"{server}/v1/x", {"Content-Type": "text/plain"}, "a=1"
    )

    assert (body, status) == (b"echo:a=1", 402)
    # The SDK reads its retry header whatever its case.
    assert headers["stripe-should-retry"] == "false"


def test_a_refused_connection_is_an_error_the_sdk_retries():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    http = Urllib3Client(timeout=(1.0, 1.0), proxy=None)

    with pytest.raises(stripe.APIConnectionError) as raised:
        http.request("get", f"http://127.0.0.1:{port}/v1/x", {})

    assert raised.value.should_retry is True


def test_the_environment_names_the_proxy_once_and_no_proxy_is_honoured(monkeypatch):
    monkeypatch.setenv("https_proxy", "http://proxy.internal:3128")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert _environment_proxy("https://api.stripe.com") == "http://proxy.internal:3128"

    monkeypatch.setenv("no_proxy", "api.stripe.com")
    assert _environment_proxy("https://api.stripe.com") is None
