from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("panel", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="panelmember",
            name="withdrawn_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="panelmember",
            name="erased_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
