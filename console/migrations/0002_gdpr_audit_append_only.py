"""Make the audit log append-only in Postgres itself: UPDATE and DELETE raise.

The one update allowed is the one Django issues when a user or council is deleted: a
foreign key set to NULL with every other column unchanged. On SQLite (the demo) the
model's `save`/`delete` refusal is the only guard.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION console_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.action = OLD.action
        AND NEW.object_type = OLD.object_type AND NEW.object_id = OLD.object_id
        AND NEW.summary = OLD.summary AND NEW.details = OLD.details
        AND (NEW.user_id IS NOT DISTINCT FROM OLD.user_id OR NEW.user_id IS NULL)
        AND (NEW.council_id IS NOT DISTINCT FROM OLD.council_id OR NEW.council_id IS NULL)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER console_auditentry_append_only
    BEFORE UPDATE OR DELETE ON console_auditentry
    FOR EACH ROW EXECUTE FUNCTION console_auditentry_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS console_auditentry_append_only ON console_auditentry;
DROP FUNCTION IF EXISTS console_auditentry_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("console", "0001_console_initial"),
    ]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
