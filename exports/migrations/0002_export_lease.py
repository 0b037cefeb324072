"""An export holds its claim by a lease its worker renews (outbox.jobs)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="export",
            name="lease_expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
