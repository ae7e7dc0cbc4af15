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


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def problems_of(check, root: Path) -> list[str]:
    return check.problems(check.load(root), root)


def test_a_clean_ladder_has_no_problem(check, tmp_path):
    root = tree(
        tmp_path,
        {
            "organizers/__init__.py": "",
            "organizers/models.py": "X = 1\n",
            "webinars/__init__.py": "",
            "webinars/models.py": "from organizers.models import X\n",
        },
    )
    assert problems_of(check, root) == []


def test_an_import_cycle_is_reported(check, tmp_path):
    root = tree(
        tmp_path,
        {
            "registrations/__init__.py": "",
            "registrations/checkout.py": "from registrations import refunds\n",
            "registrations/refunds.py": "from registrations.checkout import x\n",
        },
    )
    assert problems_of(check, root) == [
        "import cycle: registrations.checkout -> registrations.refunds"
    ]


def test_a_function_level_import_is_reported_outside_apps_py(check, tmp_path):
    root = tree(
        tmp_path,
        {
            "payments/__init__.py": "",
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
    found = problems_of(check, root)
    assert len(found) == 1
    assert found[0].startswith("payments/views.py:3: first-party import of")
    assert "payments.money inside view()" in found[0]


def test_type_checking_imports_do_not_count(check, tmp_path):
    root = tree(
        tmp_path,
        {
            "webinars/__init__.py": "",
            "webinars/hooks.py": """
                from typing import TYPE_CHECKING
                if TYPE_CHECKING:
                    from registrations.models import Registrant
            """,
            "registrations/__init__.py": "",
            "registrations/models.py": "from webinars import hooks\n",
        },
    )
    assert problems_of(check, root) == []


def test_an_import_up_the_ladder_is_reported(check, tmp_path):
    root = tree(
        tmp_path,
        {
            "payments/__init__.py": "",
            "payments/webhooks.py": "from registrations.models import Registrant\n",
            "registrations/__init__.py": "",
            "registrations/models.py": "Registrant = object\n",
        },
    )
    (line,) = problems_of(check, root)
    assert "payments.webhooks imports registrations.models, higher" in line


def test_product_code_may_not_import_the_sandbox(check, tmp_path):
    root = tree(
        tmp_path,
        {
            "stripe_sandbox/__init__.py": "",
            "stripe_sandbox/store.py": "X = 1\n",
            "payments/__init__.py": "",
            "payments/gateway.py": "from stripe_sandbox import store\n",
            "config/__init__.py": "",
            "config/urls.py": "from stripe_sandbox import store\n",
        },
    )
    assert problems_of(check, root) == [
        "payments/gateway.py: product code imports stripe_sandbox.store"
    ]


def test_a_long_module_is_reported_but_migrations_are_not(check, tmp_path):
    long = "X = 1\n" * (check.MAX_LINES + 1)
    root = tree(
        tmp_path,
        {
            "webinars/__init__.py": "",
            "webinars/views.py": long,
            "webinars/migrations/__init__.py": "",
            "webinars/migrations/0001_initial.py": long,
        },
    )
    assert problems_of(check, root) == [
        f"webinars/views.py: {check.MAX_LINES + 1} lines (at most {check.MAX_LINES})"
    ]
