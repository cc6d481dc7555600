"""The one source of the current time, so tests can move it (`clock.travel`)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.utils import timezone

_offset = timedelta(0)


def now() -> datetime:
    return timezone.now() + _offset


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
