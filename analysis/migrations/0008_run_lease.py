"""An analysis run holds its claim by a lease its worker renews (outbox.jobs)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analysis", "0007_exports_moved_to_their_app"),
    ]

    operations = [
        migrations.AddField(
            model_name="analysisrun",
            name="lease_expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
