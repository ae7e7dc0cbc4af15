"""Turn the price history and refund reasons written as sentences into kinds."""

from django.db import migrations

from payments.legacy_history import convert_price_changes, convert_refund_reasons


def convert(apps, schema_editor):
    convert_price_changes(apps.get_model("payments", "PriceChange"))
    convert_refund_reasons(apps.get_model("payments", "Refund"))


class Migration(migrations.Migration):
    dependencies = [("payments", "0003_history_entries_as_kinds")]

    operations = [migrations.RunPython(convert, migrations.RunPython.noop)]
