"""Adopt the panel upload table the console created."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('console', '0004_responseupload'),
        ('experiments', '0012_emails_and_response_uploads_moved_from_console'),
        ('panel', '0002_gdpr_member_erasure'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='PanelUpload',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('filename', models.CharField(max_length=255)),
                    ('content', models.BinaryField()),
                    ('report', models.JSONField(default=dict)),
                    ('uploaded_at', models.DateTimeField(auto_now_add=True)),
                    ('imported_at', models.DateTimeField(blank=True, null=True)),
                    ('council', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='experiments.council')),
                    ('uploaded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'db_table': 'console_panelupload',
                    'ordering': ['-uploaded_at'],
                    'abstract': False,
                },
            ),
            ],
        ),
        migrations.AlterModelTable(name='panelupload', table=None),
    ]
