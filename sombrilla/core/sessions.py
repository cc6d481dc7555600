"""Django's database sessions, read with one statement written out once.

Every page reads its session before anything else; compiling the ORM's query for it took longer than the
database took to answer it. Saving, expiry and everything else are Django's own.
"""

from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone

_LOAD = 'SELECT "session_data" FROM "django_session" WHERE "session_key" = %s AND "expire_date" > %s'


class SessionStore(db.SessionStore):
    def load(self):
        with connection.cursor() as cursor:
            cursor.execute(_LOAD, [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # unknown or expired: a new session, as Django's own store does
            return {}
        return self.decode(row[0])
