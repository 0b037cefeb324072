"""Sessions in the database, read with one plain statement.

Every page a member sees reads their session first. Django's database store builds that
read through the ORM each time, whose compiling costs more than the read itself; this
store runs the same statement (key and expiry, as Django checks them) written once.
Writing, cycling and deleting sessions stay Django's own.

A member's session key also names their invitation (`<random>-<invitation id>`), so that the
questionnaire can read the session in the same statement as the sitting (`key_names`, `take`).
The key only says where to look: the session's own data, read with it, decides.
"""

from functools import cache

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.db.models import Model
from django.utils import timezone
from django.utils.crypto import get_random_string

FIELDS = ("session_key", "session_data", "expire_date")
# The session's entry a member's questionnaire reads (the invitation they opened).
SITTING_KEY = "invitation_id"
RANDOM_PART = 28  # characters; with "-" and the id, within the key column's 40


def key_names(session_key: str | None) -> int | None:
    """Return the invitation a session key names, or None for a key that names none."""
    if not session_key or len(session_key) <= RANDOM_PART + 1 or session_key[RANDOM_PART] != "-":
        return None
    tail = session_key[RANDOM_PART + 1 :]
    return int(tail) if tail.isascii() and tail.isdigit() and len(tail) < 12 else None


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
        (`create` then draws again), so the look-up cost a statement and proved nothing.

        A session holding a member's invitation gets a key that names it (`key_names`).
        """
        invitation_id = getattr(self, "_session_cache", {}).get(SITTING_KEY)
        if isinstance(invitation_id, int) and not isinstance(invitation_id, bool):
            return f"{get_random_string(RANDOM_PART, VALID_KEY_CHARS)}-{invitation_id}"
        return get_random_string(32, VALID_KEY_CHARS)

    def take(self, session_data: str) -> dict:
        """Use session data read with another statement (the sitting's) as this session's.

        The same check as reading it here: the caller read it by this key, unexpired.
        """
        self.accessed = True
        self._session_cache = self.decode(session_data)
        return self._session_cache

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
