"""A deployment can look like anything on a phone: its name and icon replace Sombrilla's everywhere."""

import pytest
from django.test import Client, override_settings

from sombrilla.conftest import log_in


@pytest.mark.parametrize("path", ["/", "/login/", "/join/", "/recover/", "/no-such-page/"])
def test_it_shows_the_configured_name_and_icon_on_public_pages(db, path):
    with override_settings(SITE_NAME="Garden notes", SITE_ICON="leaf"):
        html = Client().get(path).content.decode()
    assert "<title>" in html and "Garden notes</title>" in html
    assert 'href="#i-leaf"' in html
    assert "sombrilla" not in html.lower()


def test_it_shows_the_configured_name_to_a_logged_in_member(alice):
    with override_settings(SITE_NAME="Garden notes", SITE_ICON="note"):
        html = log_in(Client(), alice).get("/home/").content.decode()
    assert "Garden notes" in html and 'href="#i-note"' in html
    assert "sombrilla" not in html.lower()
