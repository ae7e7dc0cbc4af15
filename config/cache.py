"""Django's Redis cache, failing open while Redis is unreachable.

The cache holds only what can be forgotten (rate-limit counters, the health
probe's key). A Redis outage must not turn every request that touches it into
a server error: while Redis cannot be reached, reads miss, writes are dropped
and counters start again (so rate limits let requests through), each failure
logged as a warning. ``/healthz/`` still reports the cache as down, since its
write-then-read finds nothing.
"""

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


class Missing(ValueError):
    """``incr`` of a key Redis could not be asked about: as if it did not exist."""


def fail_open(fallback: Callable[..., Any]) -> Callable:
    """Answer ``fallback(*args, **kwargs)`` when Redis cannot be reached."""

    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def wrapper(self: RedisCacheClient, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as error:
                logger.warning("Cache unavailable (%s): %s", method.__name__, error)
                return fallback(*args, **kwargs)

        return wrapper

    return decorate


def _raise_missing(key: str, *args: Any, **kwargs: Any) -> Any:
    raise Missing(f"Key {key!r} not found (cache unavailable)")


class FailOpenRedisCacheClient(RedisCacheClient):
    """Django's client, keeping one `redis.Redis` per pool instead of one per call."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # A redis.Redis is thread-safe (connections come from its pool); Django
        # builds a new one, with its response callbacks, for every command.
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(index)
            client = self._clients[index] = self._client(connection_pool=pool)
        return client

    @fail_open(lambda *a, **k: 0)
    def hit(self, key: str, timeout: int) -> int:
        """Add one to the counter `key`, kept `timeout` s; return it (one trip)."""
        pipe = self.get_client(key, write=True).pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, timeout)
        count, _expiry = pipe.execute()
        return int(count)

    add = fail_open(lambda *a, **k: False)(RedisCacheClient.add)
    get = fail_open(lambda key, default=None, *a, **k: default)(RedisCacheClient.get)
    set = fail_open(lambda *a, **k: None)(RedisCacheClient.set)
    touch = fail_open(lambda *a, **k: False)(RedisCacheClient.touch)
    delete = fail_open(lambda *a, **k: False)(RedisCacheClient.delete)
    get_many = fail_open(lambda *a, **k: {})(RedisCacheClient.get_many)
    has_key = fail_open(lambda *a, **k: False)(RedisCacheClient.has_key)
    incr = fail_open(_raise_missing)(RedisCacheClient.incr)
    set_many = fail_open(lambda *a, **k: None)(RedisCacheClient.set_many)
    delete_many = fail_open(lambda *a, **k: None)(RedisCacheClient.delete_many)
    clear = fail_open(lambda *a, **k: False)(RedisCacheClient.clear)


class FailOpenRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` that survives an outage."""

    def __init__(self, server: str, params: dict) -> None:
        super().__init__(server, params)
        self._class = FailOpenRedisCacheClient

    def hit(self, key: str, *, timeout: int) -> int:
        """Count one hit of the counter `key` (kept `timeout` s); return the count.

        0 while Redis cannot be reached: rate limits fail open.
        """
        return self._cache.hit(self.make_and_validate_key(key), timeout)
