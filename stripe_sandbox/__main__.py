"""Run the sandbox on its own: `python -m stripe_sandbox --port 12111`."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from .app import DEFAULT_API_KEY, SandboxApp
from .server import SandboxServer


def main() -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(description="Serve the Stripe sandbox.")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--dir", type=Path, default=Path("var/stripe-sandbox"))
    parser.add_argument("--client-id", default="ca_sandbox")
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        help=f"a secret key that authenticates (repeatable; default {DEFAULT_API_KEY})",
    )
    parser.add_argument("--webhook-url", help="endpoint to register at start")
    parser.add_argument("--webhook-secret", default="whsec_sandbox")
    parser.add_argument("--connect-webhook-secret", default="whsec_sandbox_connect")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    base = f"http://127.0.0.1:{args.port}"
    app = SandboxApp(
        store_dir=args.dir,
        public_url=base,
        client_id=args.client_id,
        api_keys=args.api_keys or [DEFAULT_API_KEY],
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        connect_webhook_secret=args.connect_webhook_secret,
    )
    keys = ", ".join(args.api_keys or [DEFAULT_API_KEY])
    print(f"Stripe sandbox on {base} (secret key: {keys})")
    SandboxServer(app, port=args.port).serve_forever()


if __name__ == "__main__":
    main()
