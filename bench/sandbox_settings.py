"""Settings of the sandbox process of `make bench` (bench/sandbox_wsgi.py).

The benchmark's settings: the sandbox reads its keys, its public address
(STRIPE_API_BASE) and its webhook secrets from them, as the Django mount does.
"""

from bench.settings import *  # noqa: F403
