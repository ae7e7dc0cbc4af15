"""Django's admin, on the project's AdminSite (config/adminsite.py)."""

from django.contrib.admin.apps import AdminConfig


class TesseraAdminConfig(AdminConfig):
    default_site = "config.adminsite.TesseraAdminSite"
