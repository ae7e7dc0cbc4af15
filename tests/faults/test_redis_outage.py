"""Redis unavailable for a while: the cache fails open, publishing never raises."""

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from organizers.ratelimit import too_many
from tests.faults.redis_server import RedisServer


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def redis_cache(settings, redis_server):
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.FailOpenRedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    return redis_server


def test_the_cache_fails_open_while_redis_is_down(redis_cache, caplog):
    cache.set("kept", "yes", 60)
    assert cache.get("kept") == "yes"

    redis_cache.stop()

    assert cache.get("kept") is None
    assert cache.get("kept", "fallback") == "fallback"
    cache.set("other", 1)
    assert cache.add("new", 1) is False
    assert cache.get_many(["kept", "other"]) == {}
    with pytest.raises(ValueError):
        cache.incr("counter")
    assert "Cache unavailable" in caplog.text

    redis_cache.start()

    assert cache.get("kept") == "yes"
    cache.set("again", 2)
    assert cache.get("again") == 2


def test_rate_limits_let_requests_through_while_redis_is_down(redis_cache):
    request = RequestFactory().post("/register/x/")
    assert [too_many(request, scope="t", limit=2, window=60) for _ in range(3)] == [
        False,
        False,
        True,
    ]

    redis_cache.stop()

    assert not any(too_many(request, scope="t", limit=2, window=60) for _ in range(5))


def test_a_rate_limit_hit_counts_and_expires_with_one_client(redis_cache):
    import redis

    assert [cache.hit("hits", timeout=60) for _ in range(3)] == [1, 2, 3]
    raw = redis.Redis.from_url(redis_cache.url)
    assert 0 < raw.ttl(cache.make_and_validate_key("hits")) <= 60
    # One redis.Redis per pool, not one per command.
    assert cache._cache.get_client(write=True) is cache._cache.get_client(write=True)
