"""The signature of an outbound webhook, in the form Stripe uses.

Header `Tessera-Signature: t=<unix time>,v1=<hex HMAC-SHA256>`, the HMAC
keyed by the endpoint's secret over `<t>.<raw body>`. A receiver recomputes
it and refuses a timestamp too far from its own clock (replays).
"""

import hashlib
import hmac

SIGNATURE_HEADER = "Tessera-Signature"


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """Return the value of the Tessera-Signature header for `body`."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify(
    *, secret: str, header: str, body: bytes, now: int, tolerance: int = 300
) -> bool:
    """Tell whether `header` signs `body` with `secret`, within `tolerance` seconds."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(_digest(secret, timestamp, body), parts.get("v1", ""))
