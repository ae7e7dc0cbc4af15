"""Production settings: refuse to start unsafe, and pass Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "production-secret-key-0123456789abcdef",
    "ALLOWED_HOSTS": "webinars.example.com",
    "STRIPE_SECRET_KEY": "sk_live_abc123",
    "STRIPE_CONNECT_CLIENT_ID": "ca_live123",
    "STRIPE_WEBHOOK_SECRET": "whsec_live_platform",
    "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_live_connect",
    "SITE_URL": "https://webinars.example.com",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("STRIPE_", "DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC"))
    }
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_with_production_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def check_refuses_without(key: str) -> None:
    """Run `check` on the production environment less one variable: it must fail."""
    env = {name: value for name, value in PRODUCTION_ENV.items() if name != key}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert key in result.stderr


def test_refuses_to_start_without_a_secret_key():
    check_refuses_without("SECRET_KEY")


def test_refuses_to_start_on_the_sandbox_key_with_debug_off():
    # Without STRIPE_SECRET_KEY the settings fall back to the sandbox key.
    check_refuses_without("STRIPE_SECRET_KEY")


def test_sandbox_is_not_mounted_with_a_real_key():
    code = (
        "import django; django.setup();"
        "from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/_stripe/v1/checkout/sessions')\n    print('mounted')\n"
        "except Resolver404:\n    print('absent')"
    )
    env = {**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "config.settings"}
    base = {k: v for k, v in os.environ.items() if not k.startswith("STRIPE_")}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == "absent", result.stderr
