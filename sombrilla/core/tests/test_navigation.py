"""The navigation and language picker are rendered once per language and role and reused
(core.templatetags.navigation): each request must still get its own links, language, unread count and
CSRF token."""

import re

from django.conf import settings
from django.db import transaction
from django.test import Client

from sombrilla.accounts.models import Membership
from sombrilla.conftest import log_in
from sombrilla.notify import services
from sombrilla.notify.models import Channel, Delivery, Topic


def _nav(response) -> str:
    return re.search(r'<nav class="nav".*?</nav>', response.content.decode(), re.S).group(0)


def _links(response) -> list[str]:
    return re.findall(r'<a href="([^"]+)"', _nav(response))


MEMBER_LINKS = [
    "/home/",
    "/alerts/",
    "/reports/new/",
    "/check/",
    "/checkins/",
    "/rights/",
    "/services/",
    "/invitations/",
]


def test_each_role_gets_its_own_links_whichever_role_came_first(alice, bob, carol, nina):
    pages = {person: log_in(Client(), person).get("/home/") for person in (bob, alice, carol, nina, alice)}
    assert _links(pages[alice]) == [*MEMBER_LINKS, "/inbox/", "/account/"]
    assert _links(pages[bob]) == [*MEMBER_LINKS[:7], "/moderation/", "/invitations/", "/inbox/", "/account/"]
    assert "/staff/members/" in _links(pages[carol]) and "/moderation/" in _links(pages[carol])
    assert _links(pages[nina]) == ["/home/", "/account/"]  # analysts see aggregates only


def test_it_speaks_each_members_language_whichever_language_came_first(alice, frank):
    alice.account.language = "es"
    alice.account.save(update_fields=["language"])
    english, spanish = log_in(Client(), frank).get("/home/"), log_in(Client(), alice).get("/home/")
    again = log_in(Client(), frank).get("/home/")
    assert ">Alerts</a>" in _nav(english) and ">Alerts</a>" in _nav(again)
    assert ">Alertas</a>" in _nav(spanish) and "Alerts" not in _nav(spanish)
    assert '<option value="es" lang="es" selected>' in spanish.content.decode()
    assert '<option value="en" lang="en" selected>' in english.content.decode()


def test_the_unread_count_is_each_members_own(alice, frank):
    for _ in range(3):
        with transaction.atomic():
            services.dispatch_create(
                organisation=alice.organisation, topic=Topic.ALERT, recipients=Membership.objects.filter(id=alice.id)
            )
    assert Delivery.objects.filter(membership=alice, channel=Channel.INAPP).count() == 3
    badge = r'<span class="badge">(\d+)<span class="sr"> (unread messages?)</span></span>'
    alices = re.search(badge, _nav(log_in(Client(), alice).get("/home/")))
    assert alices.groups() == ("3", "unread messages")
    assert 'class="badge"' not in _nav(log_in(Client(), frank).get("/home/"))


def test_the_logout_form_carries_each_sessions_own_csrf_token(alice, frank):
    clients = [log_in(Client(enforce_csrf_checks=True), person) for person in (alice, frank)]
    tokens = []
    for client in clients:
        nav = _nav(client.get("/home/"))
        tokens.append(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', nav).group(1))
    assert tokens[0] != tokens[1] and "\x00" not in "".join(tokens)
    response = clients[1].post("/logout/", {"csrfmiddlewaretoken": tokens[1]})
    assert response.status_code == 302
    assert (
        settings.SESSION_COOKIE_NAME not in clients[1].cookies
        or not clients[1].cookies[settings.SESSION_COOKIE_NAME].value
    )
    assert clients[0].get("/home/").status_code == 200  # the other session is untouched
