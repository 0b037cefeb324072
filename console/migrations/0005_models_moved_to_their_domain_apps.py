"""The console's models moved to the audit, experiments and panel apps, which took over their tables."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('console', '0004_responseupload'),
        ('audit', '0001_audit_log_moved_from_console'),
        ('experiments', '0012_emails_and_response_uploads_moved_from_console'),
        ('panel', '0003_panel_uploads_moved_from_console'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.RemoveField(
                model_name='emaildelivery',
                name='member',
            ),
            migrations.RemoveField(
                model_name='emaildelivery',
                name='wave',
            ),
            migrations.RemoveField(
                model_name='panelupload',
                name='council',
            ),
            migrations.RemoveField(
                model_name='panelupload',
                name='uploaded_by',
            ),
            migrations.RemoveField(
                model_name='reminderschedule',
                name='wave',
            ),
            migrations.RemoveField(
                model_name='responseupload',
                name='council',
            ),
            migrations.RemoveField(
                model_name='responseupload',
                name='uploaded_by',
            ),
            migrations.RemoveField(
                model_name='responseupload',
                name='wave',
            ),
            migrations.DeleteModel(
                name='AuditEntry',
            ),
            migrations.DeleteModel(
                name='EmailDelivery',
            ),
            migrations.DeleteModel(
                name='PanelUpload',
            ),
            migrations.DeleteModel(
                name='ReminderSchedule',
            ),
            migrations.DeleteModel(
                name='ResponseUpload',
            ),
            ],
        ),
    ]
