"""Services directory pages: the list with its filters, a service with its stars, notes, the member's own rating
and a referral request, the member's requests; for staff, the services, the notes to moderate and the referral
queue. Thin, as elsewhere: parse, call one service or selector, render. No model writes here.

A form refused by a service is shown again with what was typed and a 400; a form accepted flashes a message
and redirects, so reloading the page never sends it twice.
"""

import dataclasses

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sombrilla.accounts import selectors as account_selectors
from sombrilla.accounts.access import member_required, moderator_required, staff_required
from sombrilla.directory import forms, selectors, services
from sombrilla.directory.models import Rating, Referral
from sombrilla.directory.services import DirectoryError

PAGE_SIZE = 30


def _posted(request):
    return request.POST if request.method == "POST" else None


def _page(request, items):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def _areas(actor):
    return account_selectors.area_list(organisation=actor.organisation)


def _area(actor, area_id: str):
    """The chosen area; the form offered only the organisation's, and the selector answers 404 for any other."""
    return account_selectors.area_get_for_member(actor=actor, area_id=area_id) if area_id else None


# The member's pages -------------------------------------------------------------------------------------


@member_required
def service_list(request):
    actor = request.membership
    form = forms.FilterForm(request.GET or None, areas=_areas(actor))
    form.is_valid()  # a bad filter is shown with its error; the good ones still apply
    data = form.cleaned_data if form.is_bound else {}
    filters = selectors.Filters(
        kind=data.get("kind") or "",
        area_id=data.get("area") or None,
        anonymous=bool(data.get("anonymous")),
        free=bool(data.get("free")),
        sex_worker_friendly=bool(data.get("friendly")),
        language=data.get("language") or "",
    )
    context = {
        "form": form,
        "services": _page(request, selectors.services_list(actor=actor, filters=filters)),
        "filtered": filters != selectors.Filters(),
        "query": _without_page(request),
    }
    return render(request, "directory/list.html", context, status=400 if form.errors else 200)


def _without_page(request) -> str:
    """The filters, for the links to the next and previous pages."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _service_page(request, service, *, status: int = 200, rating_form=None, referral_form=None):
    own = selectors.rating_of(actor=request.membership, service=service)
    initial = {"stars": own.stars, "note": own.note} if own else None
    context = {
        "service": service,
        "notes": selectors.published_notes(service=service),
        "own": own,
        "rating_form": rating_form or forms.RatingForm(initial=initial),
        "referral_form": referral_form or forms.ReferralForm(),
    }
    return render(request, "directory/service.html", context, status=status)


@member_required
def service(request, service_id):
    return _service_page(request, selectors.service_get_for_member(actor=request.membership, service_id=service_id))


@member_required
@require_POST
def rate(request, service_id):
    actor = request.membership
    found = selectors.service_get_for_member(actor=actor, service_id=service_id)
    form = forms.RatingForm(request.POST)
    if form.is_valid():
        try:
            rating = services.rating_save(
                actor=actor, service=found, stars=form.cleaned_data["stars"], note=form.cleaned_data["note"]
            )
        except DirectoryError as exc:
            form.add_error(None, str(exc))
        else:
            if rating.status == Rating.Status.PENDING:
                messages.success(request, _("Thank you. A moderator reads your note before other members see it."))
            else:
                messages.success(request, _("Thank you. Your rating counts now."))
            return redirect("directory:service", service_id=found.pk)
    return _service_page(request, found, status=400, rating_form=form)


@member_required
@require_POST
def rating_delete(request, service_id):
    actor = request.membership
    found = selectors.service_get_for_member(actor=actor, service_id=service_id)
    own = selectors.rating_of(actor=actor, service=found)
    if own is None:
        messages.error(request, _("You have not rated this service."))
    else:
        services.rating_delete(actor=actor, rating=own)
        messages.success(request, _("Your rating is deleted."))
    return redirect("directory:service", service_id=found.pk)


@member_required
@require_POST
def refer(request, service_id):
    actor = request.membership
    found = selectors.service_get_for_member(actor=actor, service_id=service_id)
    form = forms.ReferralForm(request.POST)
    if form.is_valid():
        try:
            services.referral_request(actor=actor, service=found, message=form.cleaned_data["message"])
        except DirectoryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your request is with staff. Their answer will appear here."))
            return redirect("directory:referrals")
    return _service_page(request, found, status=400, referral_form=form)


@member_required
def referrals(request):
    actor = request.membership
    form = forms.NeedForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_request(actor=actor, kind=form.cleaned_data["kind"], message=form.cleaned_data["message"])
        except DirectoryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your request is with staff. Their answer will appear here."))
            return redirect("directory:referrals")
    context = {"referrals": _page(request, selectors.referrals_of(actor=actor)), "form": form}
    return render(request, "directory/referrals.html", context, status=400 if form.errors else 200)


def _close(request, referral, *, done: str, then: str):
    """Close a request, say how it went, and go back to the list it was closed from."""
    try:
        services.referral_close(actor=request.membership, referral=referral)
    except DirectoryError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect(then)


@member_required
@require_POST
def referral_close(request, referral_id):
    referral = selectors.referral_get_for_member(actor=request.membership, referral_id=referral_id)
    return _close(request, referral, done=_("Your request is closed."), then="directory:referrals")


# Staff: the services ----------------------------------------------------------------------------------


@staff_required
def staff_list(request):
    actor = request.membership
    context = {
        "services": _page(request, selectors.services_list(actor=actor, include_inactive=True)),
        "open_referrals": selectors.referrals_for_staff(actor=actor, status=Referral.Status.OPEN).count(),
    }
    return render(request, "directory/staff_list.html", context)


def _details(actor, data: dict) -> services.ServiceDetails:
    """The form's fields are the details' own, but for the area, which comes as an id."""
    named = {field.name: data[field.name] for field in dataclasses.fields(services.ServiceDetails)}
    return services.ServiceDetails(**{**named, "area": _area(actor, data["area"])})


def _service_form(request, *, found=None):
    """The same form makes a service and edits one."""
    actor = request.membership
    initial = None
    if found is not None:
        initial = {name: getattr(found, name) for name in forms.ServiceForm.base_fields if name != "area"}
        initial["area"] = str(found.area_id or "")
    form = forms.ServiceForm(_posted(request), initial=initial, areas=_areas(actor))
    if request.method == "POST" and form.is_valid():
        try:
            details = _details(actor, form.cleaned_data)
            if found is None:
                services.service_create(actor=actor, details=details)
            else:
                services.service_update(actor=actor, service=found, details=details)
        except DirectoryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The service is saved."))
            return redirect("directory:staff_list")
    context = {"form": form, "service": found}
    return render(request, "directory/staff_form.html", context, status=400 if form.errors else 200)


@staff_required
def staff_new(request):
    return _service_form(request)


@staff_required
def staff_edit(request, service_id):
    return _service_form(
        request, found=selectors.service_get_for_staff(actor=request.membership, service_id=service_id)
    )


@staff_required
@require_POST
def staff_active(request, service_id):
    actor = request.membership
    found = selectors.service_get_for_staff(actor=actor, service_id=service_id)
    active = request.POST.get("active") == "1"
    services.service_set_active(actor=actor, service=found, active=active)
    messages.success(request, _("Members see it again.") if active else _("Members no longer see it."))
    return redirect("directory:staff_list")


@staff_required
@require_POST
def staff_delete(request, service_id):
    actor = request.membership
    services.service_delete(actor=actor, service=selectors.service_get_for_staff(actor=actor, service_id=service_id))
    messages.success(request, _("The service and its ratings are deleted."))
    return redirect("directory:staff_list")


# Moderators: notes about services ----------------------------------------------------------------------


def _ratings_page(request, *, status: int = 200, failed=None):
    actor = request.membership
    context = {
        "pending": selectors.ratings_to_moderate(actor=actor)[:50],
        "published": selectors.ratings_published(actor=actor)[:20],
        # The note whose decision was refused, with the reason as typed.
        "failed": failed,
    }
    return render(request, "directory/ratings.html", context, status=status)


@moderator_required
def ratings(request):
    return _ratings_page(request)


@moderator_required
@require_POST
def rating_moderate(request, rating_id):
    actor = request.membership
    rating = selectors.rating_get_for_moderator(actor=actor, rating_id=rating_id)
    form = forms.ModerateForm(request.POST)
    if form.is_valid():
        publish = form.cleaned_data["action"] == "publish"
        try:
            services.rating_moderate(actor=actor, rating=rating, publish=publish, reason=form.cleaned_data["reason"])
        except DirectoryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Published.") if publish else _("Rejected. The member sees your reason."))
            return redirect("directory:ratings")
    messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
    return _ratings_page(request, status=400, failed={"id": rating.pk, "reason": request.POST.get("reason", "")})


# Staff: referral requests -----------------------------------------------------------------------------


@staff_required
def staff_referrals(request):
    actor = request.membership
    services.referral_queue_viewed(actor=actor)
    context = {"referrals": _page(request, selectors.referrals_for_staff(actor=actor))}
    return render(request, "directory/staff_referrals.html", context)


@staff_required
def staff_referral(request, referral_id):
    actor = request.membership
    referral = selectors.referral_get_for_staff(actor=actor, referral_id=referral_id)
    form = forms.AnswerForm(_posted(request), initial={"answer": referral.answer})
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_answer(actor=actor, referral=referral, answer=form.cleaned_data["answer"])
        except DirectoryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Answered. The member is told there is an answer."))
            return redirect("directory:staff_referrals")
    # Every showing of a member's request is audited, the one after a refused answer included.
    services.referral_viewed(actor=actor, referral=referral)
    context = {"referral": referral, "form": form}
    return render(request, "directory/staff_referral.html", context, status=400 if form.errors else 200)


@staff_required
@require_POST
def staff_referral_close(request, referral_id):
    referral = selectors.referral_get_for_staff(actor=request.membership, referral_id=referral_id)
    return _close(request, referral, done=_("The request is closed."), then="directory:staff_referrals")
