"""The export jobs moved to the exports app, which took over their table."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('analysis', '0006_list_each_runs_wave'),
        ('exports', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='Export')],
        ),
    ]
