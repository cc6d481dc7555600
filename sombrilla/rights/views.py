"""Know-your-rights pages: the index, an article, its quick card and its audio for members; articles,
translations, review and audio for staff. Thin, as elsewhere: parse, call one service or selector, render.

Member pages show only reviewed versions, in the member's language when there is one, and say so when the
version is a machine translation or in another language. Staff reads are not audited (articles hold no
personal data); every change is, by the services.
"""

import re

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sombrilla.accounts.access import member_required, staff_required
from sombrilla.accounts.services import PermissionDenied
from sombrilla.rights import forms, markup, selectors, services
from sombrilla.rights.models import MAX_CARD_STEPS, TOPIC_ICONS, ArticleVersion, Topic

REFUSED = (services.RightsError, PermissionDenied)
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _posted(request):
    return request.POST if request.method == "POST" else None


def _countries(request):
    return selectors.country_list(organisation=request.membership.organisation)


# Members ------------------------------------------------------------------------------------------------


@member_required
@require_safe
def index(request):
    countries = _countries(request)
    form = forms.FilterForm(request.GET or None, countries=countries)
    topic, country = None, None
    if form.is_bound and form.is_valid():
        topic = form.cleaned_data["topic"] or None
        if form.cleaned_data["country"]:
            country = countries.get(pk=form.cleaned_data["country"])
    # Filtered by topic here, not in the query: the topic links list only topics that have guides.
    readings = selectors.articles_for_member(request.membership, country=country)
    present = {reading.article.topic for reading in readings}
    topics = [(value, label, TOPIC_ICONS[value]) for value, label in Topic.choices if value in present]
    groups = [
        {"label": label, "icon": icon, "readings": [r for r in readings if r.article.topic == value]}
        for value, label, icon in topics
        if topic in (None, value)
    ]
    context = {
        "form": form,
        "groups": groups,
        "topics": topics,
        "topic": topic,
        "country": country,
        "countries": countries.exists(),
    }
    return render(request, "rights/index.html", context, status=400 if form.errors else 200)


@member_required
@require_safe
def article(request, article_id):
    reading = selectors.article_get_for_member(membership=request.membership, article_id=article_id)
    context = {
        "reading": reading,
        "version": reading.version,
        "body": mark_safe(reading.version.body_html),  # noqa: S308 - sanitised by markup.render when saved
        "audio_url": selectors.audio_url(reading.version) if reading.version.audio else "",
    }
    return render(request, "rights/article.html", context)


@member_required
@require_safe
def card(request, article_id):
    reading = selectors.card_get_for_member(membership=request.membership, article_id=article_id)
    return render(request, "rights/card.html", {"reading": reading, "version": reading.version})


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte of the one range asked for, clamped to the file; None for the whole file. A range
    that starts past the end is (size, size - 1), which cannot be served."""
    asked = _RANGE.fullmatch(header.strip())
    if not asked or not any(asked.groups()):
        return None
    first, last = asked.groups()
    if not first:  # the last N bytes
        return max(0, size - int(last)), size - 1
    return int(first), min(int(last or size - 1), size - 1)


def _audio_response(request, version: ArticleVersion):
    """The file, whole or the one byte range asked for (so a player can seek), for this person only."""
    try:
        file = version.audio.open("rb")
    except FileNotFoundError:  # removed from storage behind the database's back
        raise Http404 from None
    size = version.audio.size
    asked = _byte_range(request.headers.get("Range", ""), size)
    if asked is None:
        extension = version.audio.name.rsplit(".", 1)[-1]
        response = FileResponse(file, content_type=version.audio_type, filename=f"audio.{extension}")
    else:
        start, end = asked
        with file:
            file.seek(start)
            data = file.read(end - start + 1) if start <= end else None
        if data is None:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        response = HttpResponse(data, status=206, content_type=version.audio_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    # Only the member's own browser may keep it: it was served after checking who asked.
    response["Cache-Control"] = "private, max-age=86400"
    return response


@member_required
@require_safe
def audio(request, article_id):
    version = selectors.audio_version_for_member(
        membership=request.membership, article_id=article_id, language=request.GET.get("lang")
    )
    return _audio_response(request, version)


# Staff --------------------------------------------------------------------------------------------------


@staff_required
def staff_list(request):
    organisation = request.membership.organisation
    counts = selectors.language_versions_count(organisation)
    context = {
        "gaps": selectors.translation_gaps(organisation),
        "counts": [(name, counts[code]) for code, name in settings.LANGUAGES],
    }
    return render(request, "rights/staff_list.html", context)


def _article_fields(form) -> dict:
    data = form.cleaned_data
    return {
        "topic": data["topic"],
        "icon": data["icon"],
        "countries": form.chosen_countries(),
        "is_key": data["is_key"],
    }


def _article_form(request, **kwargs):
    return forms.ArticleForm(_posted(request), countries=list(_countries(request)), **kwargs)


@staff_required
def staff_new(request):
    form = _article_form(request)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.article_create(
                actor=request.membership, position=form.cleaned_data["position"], **_article_fields(form)
            )
        except REFUSED as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Article added. Now write it in a language."))
            return redirect("rights:staff_article", article_id=created.pk)
    return render(request, "rights/staff_new.html", {"form": form}, status=400 if form.errors else 200)


@staff_required
def staff_article(request, article_id):
    found = selectors.article_get_for_staff(actor=request.membership, article_id=article_id)
    initial = {
        "topic": found.topic,
        "icon": found.icon,
        "countries": [str(area.pk) for area in found.countries.all()],
        "is_key": found.is_key,
        "position": found.position,
    }
    form = _article_form(request, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.article_update(
                actor=request.membership,
                article=found,
                position=form.cleaned_data["position"] or 0,
                **_article_fields(form),
            )
        except REFUSED as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("rights:staff_article", article_id=found.pk)
    by_language = {version.language: version for version in found.versions.all()}
    context = {
        "article": found,
        "title": selectors.staff_title(found),
        "form": form,
        "languages": [(code, name, by_language.get(code)) for code, name in settings.LANGUAGES],
    }
    return render(request, "rights/staff_article.html", context, status=400 if form.errors else 200)


@staff_required
@require_http_methods(["GET", "POST"])
def staff_delete(request, article_id):
    found = selectors.article_get_for_staff(actor=request.membership, article_id=article_id)
    if request.method == "POST":
        try:
            services.article_delete(actor=request.membership, article=found)
        except REFUSED as exc:
            messages.error(request, str(exc))
            return redirect("rights:staff_article", article_id=found.pk)
        messages.success(request, _("The article and all its versions are deleted."))
        return redirect("rights:staff_list")
    return render(request, "rights/staff_delete.html", {"article": found, "title": selectors.staff_title(found)})


def _language(request) -> tuple[str, str]:
    code = request.GET.get("language", "")
    names = dict(settings.LANGUAGES)
    if code not in names:
        raise Http404
    return code, names[code]


@staff_required
def staff_version(request, article_id):
    """Write or change the article in one language (?language=), with a preview of what members will see."""
    found = selectors.article_get_for_staff(actor=request.membership, article_id=article_id)
    language, language_name = _language(request)
    version = found.versions.filter(language=language).select_related("reviewed_by__account").first()
    initial = forms.VersionForm.initial_for(version) if version else {}
    form = forms.VersionForm(_posted(request), initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "preview":
            preview = mark_safe(markup.render(form.cleaned_data["body"]))  # noqa: S308 - sanitised by markup
        else:
            data = form.cleaned_data
            try:
                saved = services.version_save(
                    actor=request.membership,
                    article=found,
                    language=language,
                    title=data["title"],
                    summary=data["summary"],
                    body=data["body"],
                    provenance=data["provenance"],
                    card_steps=form.card_steps(),
                    reviewed=data["reviewed"],
                )
            except REFUSED as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Saved. Members can read it.")
                    if saved.is_reviewed
                    else _("Saved as a draft: members do not see it yet."),
                )
                return redirect("rights:staff_article", article_id=found.pk)
    context = {
        "article": found,
        "version": version,
        "language": language,
        "language_name": language_name,
        "form": form,
        "steps": form.step_fields(),
        "max_steps": MAX_CARD_STEPS,
        "preview": preview,
        "source": None if version else selectors.translation_source(found),
        "speech": services.speech_available(),
        "audio_form": forms.AudioForm(),
    }
    return render(request, "rights/staff_version.html", context, status=400 if form.errors else 200)


def _version(request, version_id) -> ArticleVersion:
    return selectors.version_get_for_staff(actor=request.membership, version_id=version_id)


def _back_to_version(version: ArticleVersion):
    return redirect(f"{reverse('rights:staff_version', args=[version.article_id])}?language={version.language}")


def _version_action(request, version_id, action, done: str):
    """POST-only version actions: call the service, say what happened, go back to the version."""
    version = _version(request, version_id)
    try:
        action(actor=request.membership, version=version)
    except REFUSED as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return _back_to_version(version)


@staff_required
@require_POST
def staff_version_review(request, version_id):
    return _version_action(request, version_id, services.version_review, _("Reviewed. Members can read it."))


@staff_required
@require_POST
def staff_version_delete(request, version_id):
    version = _version(request, version_id)
    try:
        services.version_delete(actor=request.membership, version=version)
    except REFUSED as exc:
        messages.error(request, str(exc))
        return _back_to_version(version)
    messages.success(request, _("This language version is deleted."))
    return redirect("rights:staff_article", article_id=version.article_id)


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_audio(request, version_id):
    """GET: listen to a version's audio, reviewed or not. POST: upload a recording for it."""
    version = _version(request, version_id)
    if request.method != "POST":
        if not version.audio:
            raise Http404
        return _audio_response(request, version)
    form = forms.AudioForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("audio", [_("Please check the form.")])))
        return _back_to_version(version)
    try:
        services.audio_upload(
            actor=request.membership, version=version, data=services.audio_read(form.cleaned_data["audio"])
        )
    except REFUSED as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The audio is saved."))
    return _back_to_version(version)


@staff_required
@require_POST
def staff_audio_generate(request, version_id):
    return _version_action(
        request,
        version_id,
        services.audio_generate,
        _("The audio is being made. It appears here in a minute or two: reload the page."),
    )


@staff_required
@require_POST
def staff_audio_remove(request, version_id):
    return _version_action(request, version_id, services.audio_remove, _("The audio is removed."))
