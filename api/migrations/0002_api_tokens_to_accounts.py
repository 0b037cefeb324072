# API tokens now belong to accounts (accounts/migrations/0001), which took over the table.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_api_tokens"),
        ("accounts", "0001_api_tokens_from_api"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApiToken")],
            database_operations=[],
        ),
    ]
