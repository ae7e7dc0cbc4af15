"""Settings of the sandbox process of `make bench`: it serves only the mount."""

from bench.settings import *  # noqa: F403

ROOT_URLCONF = "bench.sandbox_urls"
