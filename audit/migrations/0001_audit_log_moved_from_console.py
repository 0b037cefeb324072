"""Adopt the audit log table the console created, under this app's name, trigger included."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


RENAME = (
    "ALTER TRIGGER {old} ON audit_auditentry RENAME TO {new};"
    " ALTER FUNCTION {old}() RENAME TO {new};"
)


def rename_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        old, new = "console_auditentry_append_only", "audit_auditentry_append_only"
        schema_editor.execute(RENAME.format(old=old, new=new), params=None)


def restore_trigger_name(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        old, new = "audit_auditentry_append_only", "console_auditentry_append_only"
        schema_editor.execute(RENAME.format(old=old, new=new), params=None)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('console', '0004_responseupload'),
        ('experiments', '0011_paper_copies'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='AuditEntry',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('at', models.DateTimeField(auto_now_add=True, db_index=True)),
                    ('action', models.CharField(max_length=60)),
                    ('object_type', models.CharField(blank=True, max_length=60)),
                    ('object_id', models.CharField(blank=True, max_length=40)),
                    ('summary', models.CharField(blank=True, max_length=500)),
                    ('details', models.JSONField(blank=True, default=dict)),
                    ('council', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='experiments.council')),
                    ('user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'verbose_name_plural': 'audit entries',
                    'db_table': 'console_auditentry',
                    'ordering': ['-at', '-id'],
                },
            ),
            ],
        ),
        migrations.AlterModelTable(name='auditentry', table=None),
        migrations.RunPython(rename_trigger, restore_trigger_name),
    ]
