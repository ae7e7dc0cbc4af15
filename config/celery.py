"""The Celery application: tasks are discovered in every installed app."""

import os

from celery import Celery

from config import broker  # noqa: F401 - registers the tessera-sqla transport

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tessera")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
