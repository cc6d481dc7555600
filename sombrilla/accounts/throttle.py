"""Login throttling that stores no address.

Two limits, both in the cache only: a per-account lock with doubling back-off, keyed by the keyed hash
of the pseudonym (so unknown pseudonyms lock exactly like real ones and reveal nothing), and a per-client
counter keyed by the daily-rotating client key from core.middleware, kept for an hour.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from sombrilla.accounts.models import normalise_pseudonym
from sombrilla.core import clock, crypto

CLIENT_WINDOW_SECONDS = 3600


@dataclass
class Verdict:
    allowed: bool
    retry_after: int = 0


def _account_key(pseudonym: str) -> str:
    return "login:acct:" + crypto.identifier_hash("login-throttle", normalise_pseudonym(pseudonym))


def _client_key(client_key: str) -> str:
    return "login:client:" + client_key


def check(*, pseudonym: str, client_key: str) -> Verdict:
    now = clock.now().timestamp()
    state = cache.get(_account_key(pseudonym))
    if state and state["locked_until"] > now:
        return Verdict(False, int(state["locked_until"] - now) + 1)
    if cache.get(_client_key(client_key), 0) >= settings.CLIENT_ATTEMPTS_PER_HOUR:
        return Verdict(False, CLIENT_WINDOW_SECONDS)
    return Verdict(True)


def record_failure(*, pseudonym: str, client_key: str) -> None:
    key = _account_key(pseudonym)
    state = cache.get(key) or {"failures": 0, "locked_until": 0}
    state["failures"] += 1
    over = state["failures"] - settings.LOGIN_FAILURES_BEFORE_LOCK
    if over >= 0:
        lock = min(settings.LOGIN_LOCK_SECONDS * (2**over), settings.LOGIN_LOCK_MAX_SECONDS)
        state["locked_until"] = clock.now().timestamp() + lock
    cache.set(key, state, timeout=settings.LOGIN_LOCK_MAX_SECONDS + 86400)
    client = _client_key(client_key)
    if not cache.add(client, 1, timeout=CLIENT_WINDOW_SECONDS):
        try:
            cache.incr(client)
        except ValueError:
            cache.set(client, 1, timeout=CLIENT_WINDOW_SECONDS)


def record_success(*, pseudonym: str) -> None:
    cache.delete(_account_key(pseudonym))
