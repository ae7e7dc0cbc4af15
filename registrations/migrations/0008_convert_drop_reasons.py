"""Turn the English drop reasons the sender wrote into `last_error` into kinds."""

from django.db import migrations

from registrations.history import convert_drop_reasons


def convert(apps, schema_editor):
    convert_drop_reasons(apps.get_model("registrations", "EmailLog"))


class Migration(migrations.Migration):
    dependencies = [("registrations", "0007_emaillog_drop_reason_kinds")]

    operations = [migrations.RunPython(convert, migrations.RunPython.noop)]
