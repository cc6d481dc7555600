"""The parts of every page that are the same for everyone with the same language and role.

Rendered once per process and reused: through the template engine, the navigation's links and translations
were about a third of a light page's time, and a member checking a client on his doorstep waits for it.
Only the unread count and the CSRF token differ between requests; they go into marked slots.
"""

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

# Marks no translation or URL can contain (a NUL is never in a template's own text).
_CSRF_SLOT = "\x00csrf\x00"
_BADGE_SLOT = "\x00badge\x00"
_rendered: dict[tuple, str] = {}


@receiver(setting_changed)
def _forget(**kwargs) -> None:
    _rendered.clear()


def _once(template_name: str, context: dict) -> str:
    """The template rendered with this context, from memory after the first time; every time under DEBUG, so
    an edited template shows at once."""
    key = (template_name, get_language(), get_script_prefix(), get_urlconf(), *sorted(context.items()))
    html = None if settings.DEBUG else _rendered.get(key)
    if html is None:
        html = _rendered[key] = render_to_string(template_name, context)
    return html


@register.simple_tag(takes_context=True)
def main_navigation(context) -> str:
    membership = context.get("membership")
    member = membership is not None and membership.is_organisation_member
    # Only role flags go in: anything about one member would be shown to everyone with the same role.
    html = _once(
        "core/navigation.html",
        {
            "member": member,
            "moderator": membership is not None and membership.is_moderator,
            "staff": membership is not None and membership.is_staff_role,
            "csrf_token": _CSRF_SLOT,
            "inbox_badge": _BADGE_SLOT,
        },
    )
    return mark_safe(  # noqa: S308  the cached HTML and the badge were escaped when rendered, the token here
        html.replace(_CSRF_SLOT, escape(context.get("csrf_token", ""))).replace(
            _BADGE_SLOT, _inbox_badge(membership, member)
        )
    )


def _inbox_badge(membership, member: bool) -> str:
    from sombrilla.notify.selectors import inbox_unread_count

    unread = inbox_unread_count(membership=membership) if member else 0
    return render_to_string("core/inbox_badge.html", {"unread": unread}) if unread else ""


@register.simple_tag
def language_choices() -> str:
    """The language picker's options, the current language selected."""
    return _once("core/language_choices.html", {})
