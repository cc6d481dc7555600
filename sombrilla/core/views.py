"""Pages and files the whole site shares: the stale-form page, the web app manifest and its icon, the service
worker, the offline pages and the list of what a member's phone may keep (sombrilla.core.offline decides that).

The manifest, icon and worker carry the deployment's discreet name and icon, never Sombrilla's own unless the
deployment calls itself that: they are what a phone's home screen and settings show.
"""

import json
import re
from functools import cache

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from sombrilla.accounts.access import member_required
from sombrilla.core import offline

# The page colour of the stylesheet: a neutral splash screen and title bar, nothing that stands out.
NEUTRAL_BACKGROUND = "#fdfcf8"
ICON_INK = "#1b1b1f"
ICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="-4 -4 32 32" width="512" height="512">'
    '<rect x="-4" y="-4" width="32" height="32" fill="{background}"/>'
    '<g fill="none" stroke="{ink}" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">{shape}</g>'
    "</svg>"
)


def csrf_failure(request, reason=""):
    """The site's own page for a stale form, instead of Django's English-only one."""
    return render(request, "403.html", status=403)


@require_GET
@cache_control(max_age=3600)
def manifest(request):
    """Public: browsers fetch the manifest without cookies. It says no more than the page's own title."""
    data = {
        "name": settings.SITE_NAME,
        "short_name": settings.SITE_NAME,
        "start_url": reverse("accounts:home"),
        "scope": "/",
        "display": "standalone",
        "background_color": NEUTRAL_BACKGROUND,
        "theme_color": NEUTRAL_BACKGROUND,
        "icons": [{"src": reverse("core:icon"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    }
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/manifest+json")


@cache
def _icon_shape(name: str) -> str:
    sprite = render_to_string("core/icons.svg")
    match = re.search(rf'<symbol id="i-{re.escape(name)}" viewBox="0 0 24 24">(.*?)</symbol>', sprite, re.S)
    if match is None:
        raise Http404
    return match.group(1)


@require_GET
@cache_control(max_age=3600)
def icon(request):
    """The sprite's symbol for SITE_ICON as a standalone square SVG, which Chromium accepts at any size."""
    svg = ICON_SVG.format(background=NEUTRAL_BACKGROUND, ink=ICON_INK, shape=_icon_shape(settings.SITE_ICON))
    return HttpResponse(svg, content_type="image/svg+xml")


@never_cache
def service_worker(request):
    """Served from the root so it may control every page. It holds no data and needs no login."""
    context = {"site_name": settings.SITE_NAME, "config": json.dumps(offline.service_worker_config())}
    response = HttpResponse(render_to_string("core/sw.js", context), content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/"
    return response


def _offline_links(request) -> list[tuple[str, str, str]]:
    """(url, label, icon) of the sections a member can open with no connection; none for anyone else."""
    membership = request.membership
    if membership is None or not membership.is_organisation_member:
        return []
    kept = set(offline.offline_urls(membership=membership, audio=False))
    sections = [
        (reverse("accounts:home"), _("Home"), "home"),
        (reverse("rights:index"), _("Your rights"), "shield"),
        (reverse("directory:list"), _("Services"), "list"),
        (reverse("alerts:report"), _("Report a bad client"), "flag"),
        (reverse("alerts:police_new"), _("Warn others about police"), "siren"),
    ]
    return [section for section in sections if section[0] in kept]


def offline_page(request, saved: bool = False):
    """What the phone shows for a page it does not keep (and, `saved`, after keeping a form to send later).

    Public: a new version of the worker keeps it again when it installs, which may be after the session has
    ended, and a login page must not be kept in its place. It holds nothing but links to sections."""
    return render(request, "core/offline.html", {"saved": saved, "links": _offline_links(request)})


@member_required
@never_cache
@require_GET
def offline_list(request):
    """The URLs this member's phone may keep; with ?audio=1 (the phone opted in) the audio files too."""
    audio = request.GET.get("audio") == "1"
    return JsonResponse({"urls": offline.offline_urls(membership=request.membership, audio=audio)})
