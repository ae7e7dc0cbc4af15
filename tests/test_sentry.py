"""Error reporting: Sentry when SENTRY_DSN is set, the log otherwise."""

from tests.test_settings import manage

PROBE = (
    "import sentry_sdk; c = sentry_sdk.get_client(); "
    "print('SENTRY', c.is_active(), c.options['send_default_pii'], "
    "c.options['environment'], c.options['release'], sorted(c.integrations))"
)


def probe(stdout: str) -> list[str]:
    line = next(x for x in stdout.splitlines() if x.startswith("SENTRY "))
    return line.split(" ", 5)[1:]


def test_sentry_is_initialised_with_django_and_celery_when_a_dsn_is_set():
    result = manage(
        "shell",
        "-c",
        PROBE,
        env={
            "SENTRY_DSN": "https://public@sentry.example.com/1",
            "SENTRY_ENVIRONMENT": "staging",
            "SENTRY_RELEASE": "tessera@1.2.3",
        },
    )

    assert result.returncode == 0, result.stderr
    active, pii, environment, release, integrations = probe(result.stdout)
    assert active == "True"
    assert pii == "False"
    assert environment == "staging"
    assert release == "tessera@1.2.3"
    assert "'django'" in integrations
    assert "'celery'" in integrations


def test_without_a_dsn_sentry_stays_off():
    result = manage("shell", "-c", PROBE, env={"SENTRY_DSN": ""})
    assert result.returncode == 0, result.stderr
    assert probe(result.stdout)[0] == "False"
