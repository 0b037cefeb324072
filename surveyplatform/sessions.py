"""Sessions in the database, read with one plain statement.

Every page a member sees reads their session first. Django's database store builds that
read through the ORM each time, whose compiling costs more than the read itself; this
store runs the same statement (key and expiry, as Django checks them) written once.
Writing, cycling and deleting sessions stay Django's own.
"""

from functools import cache

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.db.models import Model
from django.utils import timezone
from django.utils.crypto import get_random_string

FIELDS = ("session_key", "session_data", "expire_date")


@cache
def _read_sql(model: type[Model], vendor_quote) -> str:
    columns = [vendor_quote(model._meta.get_field(name).column) for name in FIELDS]
    key, _, expiry = columns
    return (
        f"SELECT {', '.join(columns)} FROM {vendor_quote(model._meta.db_table)} "
        f"WHERE {key} = %s AND {expiry} > %s"
    )


class SessionStore(DatabaseSessionStore):
    def _get_new_session_key(self) -> str:
        """Draw a key without looking it up first: the insert refuses a key in use
        (`create` then draws again), so the look-up cost a statement and proved nothing."""
        return get_random_string(32, VALID_KEY_CHARS)

    def _get_session_from_db(self):
        model = self.model
        using = router.db_for_read(model)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(
                _read_sql(model, connection.ops.quote_name),
                [self.session_key, timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model.from_db(using, FIELDS, row)
