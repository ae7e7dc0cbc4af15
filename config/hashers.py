"""Password hashing off a gevent worker's event loop.

A password check at Django's PBKDF2 iterations costs about 0.2 s of CPU.
hashlib releases the interpreter lock while it runs, so under threads the
other requests go on meanwhile. Under gunicorn's gevent worker (the
Procfile's web) it would run on the worker's only thread, and every other
request of that worker (a sale's registrants, Stripe's webhooks) would wait
for each organizer's login. Here, when the standard library is patched by
gevent, the hash runs in gevent's pool of native threads: the request's
greenlet waits for it as for any I/O, and the worker serves the others.

The algorithms and the stored hashes are Django's own (`pbkdf2_sha256` for
every new hash; `pbkdf2_sha1` and `scrypt` checked, then upgraded, for hashes
brought from elsewhere): only where the computation runs differs. Argon2 and
bcrypt stay Django's, listed for such hashes too; their libraries are not
installed, so Django refuses them before any computation.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth import hashers

T = TypeVar("T")


def off_the_loop(function: Callable[..., T], *args: Any) -> T:
    """Call `function(*args)` in a native thread under gevent; here otherwise."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is None or not monkey.is_module_patched("threading"):
        return function(*args)
    import gevent

    return gevent.get_hub().threadpool.apply(function, args)


class _OffTheLoop:
    """A Django hasher whose hash is computed off the event loop under gevent."""

    def encode(self, password: str, salt: str, *args: Any, **kwargs: Any) -> str:
        encode = functools.partial(super().encode, password, salt, *args, **kwargs)  # type: ignore[misc]
        return off_the_loop(encode)


class PBKDF2PasswordHasher(_OffTheLoop, hashers.PBKDF2PasswordHasher):
    """Django's default hasher (`pbkdf2_sha256`), which every new hash uses."""


class PBKDF2SHA1PasswordHasher(_OffTheLoop, hashers.PBKDF2SHA1PasswordHasher):
    """`pbkdf2_sha1`, checked (then upgraded) for hashes made elsewhere."""


class ScryptPasswordHasher(_OffTheLoop, hashers.ScryptPasswordHasher):
    """`scrypt`, checked (then upgraded) for hashes made elsewhere."""
