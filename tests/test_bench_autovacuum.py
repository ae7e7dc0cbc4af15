"""bench/autovacuum.py: the bench does autovacuum's work where the server does not."""

import pytest
from django.db import connection

from bench.autovacuum import SETTINGS, Autovacuum, Table, due


def test_a_table_is_analysed_once_a_tenth_of_it_changed():
    assert due(Table("t", 1000, 0, 0, 150), SETTINGS) is None
    assert due(Table("t", 1000, 0, 0, 151), SETTINGS) == "ANALYZE"


def test_a_table_is_vacuumed_once_a_fifth_of_it_is_dead_or_new():
    assert due(Table("t", 1000, 250, 0, 0), SETTINGS) is None
    assert due(Table("t", 1000, 251, 0, 0), SETTINGS) == "VACUUM"
    assert due(Table("t", 1000, 0, 1201, 0), SETTINGS) == "VACUUM"
    assert due(Table("t", 1000, 251, 0, 151), SETTINGS) == "VACUUM (ANALYZE)"


def test_a_table_never_analysed_counts_as_empty():
    # reltuples is -1 until the first analysis; TABLES reads it as 0.
    assert due(Table("t", 0, 0, 0, 51), SETTINGS) == "ANALYZE"
    assert due(Table("t", 0, 0, 0, 50), SETTINGS) is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_pass_analyses_the_tables_that_changed(django_db_setup):
    settings = dict(connection.settings_dict)
    url = (
        f"postgresql://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    every_table_changed = {
        **SETTINGS,
        "autovacuum_analyze_threshold": -1,
        "autovacuum_analyze_scale_factor": 0,
        "autovacuum_vacuum_threshold": 10**9,
        "autovacuum_vacuum_insert_threshold": 10**9,
    }
    ran = Autovacuum(url).once(every_table_changed)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE schemaname = 'public'"
        )
        tables = {name for (name,) in cursor.fetchall()}
    assert sorted(ran) == sorted(f"ANALYZE {name}" for name in tables)
    assert "ANALYZE registrations_registrant" in ran
