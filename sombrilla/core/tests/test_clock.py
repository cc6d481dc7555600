"""The month a tally counts a moment in, which decides the year M&E reports it in."""

from datetime import UTC, date, datetime

from django.utils import timezone

from sombrilla.core import clock


def test_it_places_a_moment_in_its_month_where_the_site_is():
    """As ExtractYear does for M&E's other figures: 22:00 UTC on 31 December is already January in Nairobi."""
    moment = datetime(2026, 12, 31, 22, tzinfo=UTC)
    assert clock.month(moment) == date(2026, 12, 1)
    with timezone.override("Africa/Nairobi"):
        assert clock.month(moment) == date(2027, 1, 1)
        with clock.travel(moment - clock.now()):
            assert clock.month() == date(2027, 1, 1)
