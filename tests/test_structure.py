"""The structure check (scripts/check_structure.py) finds what it promises."""

import importlib.util
import textwrap
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check_structure.py"


@pytest.fixture(scope="module")
def check():
    spec = importlib.util.spec_from_file_location("check_structure", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def problems_in(check, root: Path, files: dict[str, str]) -> list[str]:
    """Write `files` below `root`, each folder a package, and check that tree."""
    for name, text in files.items():
        path = root / name
        for folder in path.relative_to(root).parents[:-1]:
            (root / folder).mkdir(parents=True, exist_ok=True)
            (root / folder / "__init__.py").touch()
        path.write_text(textwrap.dedent(text))
    return check.problems(check.load(root), root)


# Trees whose whole list of problems is known: (files, problems).
REPORTS = [
    pytest.param(
        {
            "organizers/models.py": "X = 1\n",
            "webinars/models.py": "from organizers.models import X\n",
        },
        [],
        id="a_clean_ladder_has_no_problem",
    ),
    pytest.param(
        {
            "registrations/checkout.py": "from registrations import refunds\n",
            "registrations/refunds.py": "from registrations.checkout import x\n",
        },
        ["import cycle: registrations.checkout -> registrations.refunds"],
        id="an_import_cycle_is_reported",
    ),
    pytest.param(
        {
            "webinars/hooks.py": """
                from typing import TYPE_CHECKING
                if TYPE_CHECKING:
                    from registrations.models import Registrant
            """,
            "registrations/models.py": "from webinars import hooks\n",
        },
        [],
        id="type_checking_imports_do_not_count",
    ),
    pytest.param(
        {
            "stripe_sandbox/store.py": "X = 1\n",
            "payments/gateway.py": "from stripe_sandbox import store\n",
            "config/urls.py": "from stripe_sandbox import store\n",
        },
        ["payments/gateway.py: product code imports stripe_sandbox.store"],
        id="product_code_may_not_import_the_sandbox",
    ),
]


@pytest.mark.parametrize(("files", "expected"), REPORTS)
def test_the_check_reports(check, tmp_path, files, expected):
    assert problems_in(check, tmp_path, files) == expected


def test_a_function_level_import_is_reported_outside_apps_py(check, tmp_path):
    found = problems_in(
        check,
        tmp_path,
        {
            "payments/money.py": "X = 1\n",
            "payments/apps.py": """
                def ready():
                    from payments import money
            """,
            "payments/views.py": """
                def view():
                    from payments.money import X
                    import json
            """,
        },
    )
    assert len(found) == 1
    assert found[0].startswith("payments/views.py:3: first-party import of")
    assert "payments.money inside view()" in found[0]


def test_an_import_up_the_ladder_is_reported(check, tmp_path):
    found = problems_in(
        check,
        tmp_path,
        {
            "payments/webhooks.py": "from registrations.models import Registrant\n",
            "registrations/models.py": "Registrant = object\n",
        },
    )
    (line,) = found
    assert "payments.webhooks imports registrations.models, higher" in line


def test_a_long_module_is_reported_but_migrations_are_not(check, tmp_path):
    long = "X = 1\n" * (check.MAX_LINES + 1)
    found = problems_in(
        check,
        tmp_path,
        {
            "webinars/views.py": long,
            "webinars/migrations/0001_initial.py": long,
        },
    )
    assert found == [
        f"webinars/views.py: {check.MAX_LINES + 1} lines (at most {check.MAX_LINES})"
    ]
