"""axe-core on every page, left-to-right and right-to-left: nothing serious or critical (WCAG 2.2 AA)."""

from functools import cache
from importlib.resources import files

import pytest

from sombrilla.core.tests.browser_pages import PAGES, open_cold, staff_without_device

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = {"serious", "critical"}


@cache
def axe_source() -> str:
    return files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


@pytest.fixture
def everyone(people, org_a):
    return {**people, "newstaff": staff_without_device(org_a)}


def axe_violations(tab) -> list[dict]:
    # evaluate() runs as the browser's devtools, outside the page's CSP, which forbids inline scripts.
    tab.evaluate(axe_source())
    result = tab.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_AA,
    )
    assert result["testEngine"]["name"] == "axe-core"
    return result["violations"]


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_it_has_no_serious_accessibility_violation(chromium, live_url, everyone, page, language):
    context, tab, response, _requests = open_cold(chromium, live_url, page, everyone, language=language)
    try:
        assert response.status == page.status, f"{page.path} answered {response.status}, not the page itself"
        assert tab.locator("html").get_attribute("lang") == language
        assert tab.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
        blocking = [v for v in axe_violations(tab) if v["impact"] in BLOCKING]
        report = "\n".join(
            f"{v['impact']} {v['id']}: {v['help']} at {[node['target'] for node in v['nodes']]}" for v in blocking
        )
        assert not blocking, f"{page.name} ({language}):\n{report}"
    finally:
        context.close()


@pytest.mark.browser
def test_it_notices_a_form_field_without_a_label(chromium, live_url, everyone):
    """The check above passes on silence, so prove axe runs here and would name a broken page."""
    login = next(p for p in PAGES if p.name == "login")
    context, tab, _response, _requests = open_cold(chromium, live_url, login, everyone)
    try:
        tab.evaluate("document.querySelector('label[for=id_pseudonym]').remove()")
        found = {v["id"]: v for v in axe_violations(tab) if v["impact"] in BLOCKING}
        assert "label" in found
        assert [["#id_pseudonym"]] == [node["target"] for node in found["label"]["nodes"]]
    finally:
        context.close()
