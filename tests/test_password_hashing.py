"""Password hashing: Django's PBKDF2, computed off a gevent worker's event loop.

A login's hash costs about 0.2 s of CPU; under the Procfile's gevent workers
it must not stop the other requests of its worker meanwhile.
"""

from pathlib import Path

from django.contrib.auth import hashers

from config.hashers import PBKDF2PasswordHasher
from tests.gevent_probe import under_gevent

ROOT = Path(__file__).resolve().parent.parent


def test_the_hashes_are_djangos_own_both_ways():
    ours, djangos = PBKDF2PasswordHasher(), hashers.PBKDF2PasswordHasher()

    assert isinstance(hashers.get_hasher("pbkdf2_sha256"), PBKDF2PasswordHasher)
    assert djangos.verify("s3cret pass", ours.encode("s3cret pass", ours.salt()))
    assert ours.verify("s3cret pass", djangos.encode("s3cret pass", djangos.salt()))
    assert not ours.verify("other pass", ours.encode("s3cret pass", ours.salt()))


def test_under_gevent_a_password_check_leaves_the_event_loop_free():
    # What gunicorn's gevent worker does before it loads the app: patch, then
    # import. A greenlet ticks while another checks a password (Django's
    # iterations): it only gets to run if the hash is computed elsewhere.
    probe = """
import gevent
from gevent.monkey import get_original
from django.contrib.auth import hashers

native = get_original("_thread", "get_ident")
loop = native()
seen = []
computing = hashers.pbkdf2
def spy(*args, **kwargs):
    seen.append(native())
    return computing(*args, **kwargs)
hashers.pbkdf2 = spy
hasher = hashers.get_hasher("pbkdf2_sha256")
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
print(type(hasher).__module__, gevent.spawn(login).get(), loop in seen, state["ticks"])
"""
    module, verified, on_the_loop, ticks = under_gevent(probe)[-4:]
    assert (module, verified, on_the_loop) == ("config.hashers", "True", "False")
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
