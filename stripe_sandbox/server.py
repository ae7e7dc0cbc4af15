"""Serve a `SandboxApp` over real HTTP from a background thread."""

from __future__ import annotations

import threading
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .app import SandboxApp


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


class SandboxServer:
    """A threaded wsgiref server running a `SandboxApp` on a loopback port."""

    def __init__(self, app: SandboxApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._httpd = make_server(
            host, port, app, server_class=_Server, handler_class=_QuietHandler
        )
        self.port = self._httpd.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="stripe-sandbox-http",
            daemon=True,
        )

    def start(self) -> SandboxServer:
        """Start serving in the background and return self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the app."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self.app.close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()
            self.app.close()
