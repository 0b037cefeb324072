from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("experiments", "0005_merge_20261128_2020"),
    ]

    operations = [
        migrations.AddField(
            model_name="council",
            name="research_exemption",
            field=models.BooleanField(
                default=False,
                help_text="The council recorded a research exemption: erasure keeps the answers.",
            ),
        ),
        migrations.AddField(
            model_name="council",
            name="retention_days",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Erase members this many days after they withdrew or their last wave "
                "closed (empty: never automatically).",
                null=True,
            ),
        ),
    ]
