"""Password hashing: Django's PBKDF2, computed off a gevent worker's event loop.

A login's hash costs about 0.2 s of CPU; under the Procfile's gevent workers
it must not stop the other requests of its worker meanwhile.
"""

from pathlib import Path

import pytest
from django.contrib.auth import hashers

from config.hashers import PBKDF2PasswordHasher
from tests.gevent_probe import under_gevent

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("algorithm", "django_class"),
    [
        ("pbkdf2_sha256", hashers.PBKDF2PasswordHasher),
        ("pbkdf2_sha1", hashers.PBKDF2SHA1PasswordHasher),
        ("scrypt", hashers.ScryptPasswordHasher),
    ],
)
def test_the_hashes_are_djangos_own_both_ways(settings, algorithm, django_class):
    settings.PASSWORD_HASHERS = [
        "config.hashers.PBKDF2PasswordHasher",
        "config.hashers.PBKDF2SHA1PasswordHasher",
        "config.hashers.ScryptPasswordHasher",
    ]
    ours, djangos = hashers.get_hasher(algorithm), django_class()

    assert type(ours).__module__ == "config.hashers"
    assert isinstance(ours, django_class)
    assert djangos.verify("s3cret pass", ours.encode("s3cret pass", ours.salt()))
    assert ours.verify("s3cret pass", djangos.encode("s3cret pass", djangos.salt()))
    assert not ours.verify("other pass", ours.encode("s3cret pass", ours.salt()))


@pytest.mark.parametrize("algorithm", ["pbkdf2_sha256", "pbkdf2_sha1", "scrypt"])
def test_under_gevent_a_password_check_leaves_the_event_loop_free(algorithm):
    # What gunicorn's gevent worker does before it loads the app: patch, then
    # import. A greenlet ticks while another checks a password (Django's
    # cost for each algorithm): it only gets to run if the hash is computed
    # elsewhere. An old hash (pbkdf2_sha1, scrypt) is checked the same way.
    probe = """
import hashlib
import gevent
from gevent.monkey import get_original
from django.contrib.auth import hashers

native = get_original("_thread", "get_ident")
loop = native()
seen = []
computing = hashers.pbkdf2, hashlib.scrypt
def spy_pbkdf2(*args, **kwargs):
    seen.append(native())
    return computing[0](*args, **kwargs)
def spy_scrypt(*args, **kwargs):
    seen.append(native())
    return computing[1](*args, **kwargs)
hashers.pbkdf2 = spy_pbkdf2
hashlib.scrypt = spy_scrypt
hasher = hashers.get_hasher("ALGORITHM")
encoded = hasher.encode("correct horse", hasher.salt())
state = {"checking": False, "ticks": 0}
def ticker():
    while True:
        state["ticks"] += state["checking"]
        gevent.sleep(0.001)
def login():
    state["checking"] = True
    try:
        return hasher.verify("correct horse", encoded)
    finally:
        state["checking"] = False
gevent.spawn(ticker)
verified = gevent.spawn(login).get()
print(type(hasher).__module__, verified, bool(seen), loop in seen, state["ticks"])
""".replace("ALGORITHM", algorithm)
    module, verified, hashed, on_the_loop, ticks = under_gevent(probe)[-5:]
    assert (module, verified, hashed, on_the_loop) == (
        "config.hashers",
        "True",
        "True",
        "False",
    )
    assert int(ticks) > 0


def test_without_gevent_the_hash_is_computed_in_the_calling_thread(monkeypatch):
    import threading

    threads = []
    computing = hashers.pbkdf2

    def spy(*args, **kwargs):
        threads.append(threading.get_ident())
        return computing(*args, **kwargs)

    monkeypatch.setattr(hashers, "pbkdf2", spy)
    hasher = PBKDF2PasswordHasher()

    hasher.encode("s3cret pass", hasher.salt(), iterations=1000)

    assert threads == [threading.get_ident()]
