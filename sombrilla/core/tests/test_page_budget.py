"""Every page, first load on an empty cache, fits in 14 KB on the wire and asks no other host for anything.

14 KB is what the first round trip of a new TCP connection carries (10 segments): on 2G a page over it costs
the member a whole extra round trip before anything shows. The figures go to var/page-sizes.txt.
"""

import pytest
from django.conf import settings

from sombrilla.core.tests.browser_pages import PAGES, open_cold, same_host, staff_without_device

BUDGET = 14 * 1024
_sizes: dict[str, tuple[int, int]] = {}


@pytest.fixture(scope="module", autouse=True)
def _size_table():
    """Writes the figures of every page measured in this run, for the lead to record."""
    yield
    if not _sizes:
        return
    lines = [f"{'page':<20} {'requests':>8} {'bytes':>7}  (budget {BUDGET})"]
    lines += [f"{name:<20} {count:>8} {size:>7}" for name, (count, size) in sorted(_sizes.items())]
    table = "\n".join(lines) + "\n"
    path = settings.VAR_DIR / "page-sizes.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(table, encoding="utf-8")
    print("\n" + table)  # noqa: T201 - shown with -s, so the figures can be copied from the run


@pytest.fixture
def everyone(people, org_a):
    return {**people, "newstaff": staff_without_device(org_a)}


@pytest.mark.browser
@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_it_fits_every_page_in_14_kb_from_its_own_host(chromium, live_url, everyone, page):
    context, _tab, response, requests = open_cold(chromium, live_url, page, everyone)
    try:
        assert response.status == page.status, f"{page.path} answered {response.status}, not the page itself"
        foreign = [r.url for r in requests if not same_host(r.url, live_url)]
        assert not foreign, f"{page.name} asked other hosts: {foreign}"
        rows, total = [], 0
        for request in requests:
            if request.url.startswith("data:"):
                continue
            if request.service_worker is not None:
                # The service worker's own install and the offline copy it keeps for the member are fetched in
                # the background once per phone (then at most hourly), not by any page.
                continue
            sizes = request.sizes()
            size = sizes["responseHeadersSize"] + sizes["responseBodySize"]
            rows.append(f"{size:>6} {request.url}")
            total += size
        # Without the stylesheet and script the page was not measured as a member's phone loads it.
        assert any("/static/css/" in r.url for r in requests) and any("/static/js/" in r.url for r in requests)
        _sizes[page.name] = (len(rows), total)
        assert total <= BUDGET, f"{page.name} is {total} bytes, over {BUDGET}:\n" + "\n".join(rows)
    finally:
        context.close()
