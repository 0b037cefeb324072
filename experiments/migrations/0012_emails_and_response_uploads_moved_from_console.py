"""Adopt the e-mail delivery, reminder and response upload tables the console created."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('console', '0004_responseupload'),
        ('experiments', '0011_paper_copies'),
        ('panel', '0002_gdpr_member_erasure'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='ReminderSchedule',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('send_at', models.DateTimeField()),
                    ('sent_at', models.DateTimeField(blank=True, null=True)),
                    ('recipients', models.PositiveIntegerField(blank=True, null=True)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('wave', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reminder_schedules', to='experiments.wave')),
                ],
                options={
                    'db_table': 'console_reminderschedule',
                    'ordering': ['send_at', 'id'],
                },
            ),
            migrations.CreateModel(
                name='ResponseUpload',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('filename', models.CharField(max_length=255)),
                    ('content', models.BinaryField()),
                    ('report', models.JSONField(default=dict)),
                    ('uploaded_at', models.DateTimeField(auto_now_add=True)),
                    ('imported_at', models.DateTimeField(blank=True, null=True)),
                    ('result', models.JSONField(blank=True, default=dict)),
                    ('council', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='experiments.council')),
                    ('uploaded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('wave', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='experiments.wave')),
                ],
                options={
                    'db_table': 'console_responseupload',
                    'ordering': ['-uploaded_at'],
                    'abstract': False,
                },
            ),
            migrations.CreateModel(
                name='EmailDelivery',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('kind', models.CharField(choices=[('invitation', 'Invitation'), ('reminder', 'Reminder'), ('debrief', 'Debrief'), ('summary', 'You said, we did')], max_length=12)),
                    ('status', models.CharField(choices=[('queued', 'Queued'), ('sent', 'Sent'), ('failed', 'Failed'), ('bounced', 'Bounced')], default='queued', max_length=10)),
                    ('error', models.TextField(blank=True)),
                    ('attempts', models.PositiveSmallIntegerField(default=0)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('sent_at', models.DateTimeField(blank=True, null=True)),
                    ('bounced_at', models.DateTimeField(blank=True, null=True)),
                    ('member', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='panel.panelmember')),
                    ('wave', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='experiments.wave')),
                ],
                options={
                    'verbose_name_plural': 'e-mail deliveries',
                    'db_table': 'console_emaildelivery',
                    'ordering': ['-created_at', '-id'],
                    'indexes': [models.Index(fields=['wave', 'kind', 'status'], name='console_ema_wave_id_16073d_idx')],
                },
            ),
            ],
        ),
        migrations.AlterModelTable(name='reminderschedule', table=None),
        migrations.AlterModelTable(name='responseupload', table=None),
        migrations.AlterModelTable(name='emaildelivery', table=None),
        migrations.RenameIndex(
            model_name='emaildelivery',
            new_name='experiments_wave_id_a4aa7b_idx',
            old_name='console_ema_wave_id_16073d_idx',
        ),
    ]
