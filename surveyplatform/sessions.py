"""Sessions in the database, read with one plain statement.

Every page a member sees reads their session first. Django's database store builds that
read through the ORM each time, whose compiling costs more than the read itself; this
store runs the same statement (key and expiry, as Django checks them) written once.
Writing, cycling and deleting sessions stay Django's own.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):
        model = self.model
        using = router.db_for_read(model)
        with connections[using].cursor() as cursor:
            cursor.execute(
                f"SELECT session_key, session_data, expire_date FROM {model._meta.db_table} "
                "WHERE session_key = %s AND expire_date > %s",
                [self.session_key, timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model.from_db(using, ["session_key", "session_data", "expire_date"], row)
