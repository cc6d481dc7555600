"""Django's database sessions, each row holding its account's id so one statement reads a page's session
and its account with membership and organisation (accounts.backends).

Every page reads both before anything else; as two statements they were two round trips to the database
on every request. Saving, expiry and everything else are Django's own.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.utils import timezone

from sombrilla.accounts import backends


class SessionStore(db.SessionStore):
    @classmethod
    def get_model_class(cls):
        from sombrilla.accounts.models import Session

        return Session

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.account_id = data.get(SESSION_KEY)
        return session

    def load(self):
        found = backends.compiled_query().session(self.session_key, timezone.now())
        if found is None:
            backends.remember_read_with_session(None)
            self._session_key = None  # unknown or expired: a new session, as Django's own store does
            return {}
        data, account = found
        backends.remember_read_with_session(account)
        return self.decode(data)


def sessions_purge() -> None:
    """Expired sessions deleted for real, not left to pile up with their accounts' ids (run hourly by the
    worker's scheduler, settings.SCHEDULED_JOBS)."""
    SessionStore.clear_expired()
