"""The one source of the current time, so tests can move it (`clock.travel`)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.utils import timezone

_offset = timedelta(0)


def now() -> datetime:
    return timezone.now() + _offset


def month(moment: datetime | None = None) -> date:
    """The first day of the month `moment` (now, by default) falls in, in the site's time zone: the month a
    tally counts it in, and so the year M&E reports it in."""
    return timezone.localdate(moment or now()).replace(day=1)


@contextmanager
def travel(delta: timedelta) -> Iterator[None]:
    """Move every caller of now() by delta for the duration of the block."""
    global _offset
    previous = _offset
    _offset = previous + delta
    try:
        yield
    finally:
        _offset = previous
