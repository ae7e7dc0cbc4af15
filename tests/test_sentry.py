"""Error reporting: Sentry when SENTRY_DSN is set, the log otherwise."""

import pytest

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


def database_url(tmp_path) -> str:
    """This test's database for a subprocess: PostgreSQL's, or an SQLite file."""
    from django.db import connection

    given = connection.settings_dict
    if connection.vendor != "postgresql":
        return f"sqlite:///{tmp_path / 'probe.sqlite3'}"
    user = given["USER"] + (f":{given['PASSWORD']}" if given["PASSWORD"] else "")
    host = f"{given['HOST'] or '127.0.0.1'}:{given['PORT'] or 5432}"
    return f"postgres://{user}@{host}/{given['NAME']}"


@pytest.mark.django_db
def test_a_registrants_values_in_the_hottest_statements_stay_out_of_reports(
    tmp_path,
):
    # The statements of organizers.plain_sql carry a start's email, names,
    # answers and join token; Sentry records a statement's text (breadcrumbs,
    # spans), never its parameters (send_default_pii off).
    leak = (
        "import sentry_sdk\n"
        "from django.db import connection\n"
        "from organizers import plain_sql\n"
        "seen = []\n"
        "def keep(event, hint):\n"
        "    seen.append(repr(event.get('breadcrumbs')))\n"
        "    return None\n"
        "sentry_sdk.get_client().options['before_send'] = keep\n"
        "with connection.cursor() as cursor:\n"
        "    plain_sql.execute(cursor, 'SELECT CAST(%s AS TEXT), CAST(%s AS TEXT)',"
        " ['ada.secret@example.com', 'JoinTokenSecret42'])\n"
        "sentry_sdk.capture_message('probe')\n"
        "print('REPORT', len(seen), 'query' in seen[0],"
        " any(v in seen[0] for v in ('ada.secret', 'JoinTokenSecret42')))\n"
    )

    result = manage(
        "shell",
        "-c",
        leak,
        env={
            "SENTRY_DSN": "https://public@sentry.example.com/1",
            "DATABASE_URL": database_url(tmp_path),
        },
    )

    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("REPORT "))
    # One report, with the statement among its breadcrumbs, and no value.
    assert line.split()[1:] == ["1", "True", "False"]
