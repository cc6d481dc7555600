"""What a member's phone may keep for reading without a connection, and nothing else.

One allow-list decides it: the server filters the list it hands the service worker through `allowed()`, and
the service worker, rendered with the same list, refuses to store anything outside it. Alerts, reports, the
inbox, check-ins and staff pages are personal or sensitive: they must never sit in a phone's cache, where
whoever holds a seized or shared phone could read them. Pages are added here one URL shape at a time, on
purpose: a prefix would let in whatever is added under it later (a member's referral requests sit under
/services/, for one).
"""

import hashlib
import json
import re
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse

from sombrilla.directory import selectors as directory
from sombrilla.rights import selectors as rights

UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_ANY_ID = uuid.UUID(int=0)


def allowed_patterns() -> list[str]:
    """The paths a phone may keep, as anchored regular expressions that Python and JavaScript read alike:
    the member's home, the two forms that can wait offline, the offline pages, the rights index with each
    article, quick card and audio file, and the services list with each service. Not the member's referral
    requests (under /services/ too), nor anything under /staff/."""
    single = ["accounts:home", "alerts:report", "alerts:police_new", "core:offline", "core:offline_saved"]
    single += ["rights:index", "directory:list"]
    per_object = ["rights:article", "rights:card", "rights:audio", "directory:service"]
    patterns = [re.escape(reverse(name)) for name in single]
    patterns += [
        UUID.join(re.escape(part) for part in reverse(name, args=[_ANY_ID]).split(str(_ANY_ID))) for name in per_object
    ]
    return [f"^{pattern}$" for pattern in patterns]


def allowed(url: str) -> bool:
    """A path of this site that matches the allow-list (the query is the page's own business)."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return False
    return any(re.match(pattern, parts.path) for pattern in allowed_patterns())


def offline_urls(*, membership, audio: bool) -> list[str]:
    """Every page (and, when this phone opted in, every audio file) the member may read offline, in their
    organisation and language as the pages themselves decide. Only URLs go out: the phone fetches each page
    with the member's own session, so nothing is shown offline that the member could not see online."""
    urls = [reverse("accounts:home"), reverse("alerts:report"), reverse("alerts:police_new")]
    urls += rights.offline_urls(membership=membership, audio=audio)
    urls += directory.offline_urls(membership=membership)
    return [url for url in dict.fromkeys(urls) if allowed(url)]


def service_worker_config() -> dict:
    """What the service worker needs to know about this site; the same for every visitor, so that the
    worker's bytes change only when the site does (a change makes every phone install the new one)."""
    config = {
        "shell": [static("css/site.css"), static("js/app.js"), reverse("core:offline"), reverse("core:offline_saved")],
        "static": settings.STATIC_URL,
        "offline": reverse("core:offline"),
        "saved": reverse("core:offline_saved"),
        "list": reverse("core:offline_urls"),
        "allowed": allowed_patterns(),
        # Forms that wait on the phone when there is no connection.
        "queue": [reverse("alerts:report"), reverse("alerts:police_new")],
        "logout": reverse("accounts:logout"),
        # Where a replayed form lands when the session is gone: it was not accepted.
        "auth": [reverse(settings.LOGIN_URL), reverse("accounts:two_factor")],
    }
    config["version"] = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:12]
    return config
