"""Settings of the benchmark server: the app's, plus a baseline view's URL."""

from config.settings import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.urls"
# Tables straight from the models: the benchmark does not depend on migrations.
MIGRATION_MODULES = {app.rsplit(".", 1)[-1]: None for app in INSTALLED_APPS}  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
# The benchmark client is one IP sending hundreds of registrations a second.
REGISTER_RATE_LIMIT = 10**9
