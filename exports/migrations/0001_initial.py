"""Adopt the export jobs table that the analysis app created, and give it this app's name."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("analysis", "0006_list_each_runs_wave"),
        ("outbox", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.CreateModel(
            name='Export',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='pending', max_length=10)),
                ('format', models.CharField(choices=[('csv_tidy', 'CSV, one row per response and theme'), ('csv_wide', 'CSV, one row per response'), ('dta', 'Stata (.dta)'), ('sav', 'SPSS (.sav)'), ('codebook_html', 'Codebook (HTML)'), ('codebook_csv', 'Codebook (CSV)'), ('results_json', 'Analysis results (JSON)'), ('bundle', 'Reproducibility bundle (zip)')], max_length=20)),
                ('labels', models.CharField(choices=[('en', 'English'), ('cy', 'Welsh')], default='en', max_length=2)),
                ('wave_ids', models.JSONField()),
                ('council_ids', models.JSONField()),
                ('requested_at', models.DateTimeField(auto_now_add=True)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('input_hash', models.CharField(db_index=True, max_length=64)),
                ('file_path', models.CharField(blank=True, max_length=300)),
                ('size', models.PositiveBigIntegerField(blank=True, null=True)),
                ('sha256', models.CharField(blank=True, max_length=64)),
                ('error', models.TextField(blank=True)),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='exports', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'analysis_export',
                'ordering': ['-requested_at'],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('status', 'done'), _negated=True), models.Q(('file_path', ''), _negated=True), _connector='OR'), name='done_export_has_file')],
            },
        ),
            ],
        ),
        migrations.AlterModelTable(name="export", table=None),
        # Jobs queued before the move name the task by its old module.
        migrations.RunSQL(
            "UPDATE outbox_outboxmessage SET task_name = 'exports.tasks.produce_export'"
            " WHERE task_name = 'analysis.export_tasks.produce_export'",
            migrations.RunSQL.noop,
        ),
    ]
