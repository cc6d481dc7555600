"""Check-in pages: plans, check-in, SOS, buddies and PINs for the member; the alert page for responders; the
open alerts and duty rota for staff; and the one-time link page for outside contacts. Thin, as elsewhere:
parse, call one service or selector, render. No model writes here.

A check-in with the duress PIN must look exactly like a safe one on every page its member sees, so the
member's pages read `plan.shown_status` and the member-facing selectors, never `plan.status` or `plan.duress`.
Times are read and shown in the viewer's own time zone (their notification settings), because a plan's end
typed as "22:00" means 22:00 where the member is.
"""

import json
from datetime import timedelta
from functools import wraps
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from sombrilla.accounts import selectors as account_selectors
from sombrilla.accounts.access import member_required, staff_required
from sombrilla.accounts.models import Role
from sombrilla.alerts.forms import ReportForm
from sombrilla.alerts.models import IdentifierKind
from sombrilla.checkins import forms, selectors, services
from sombrilla.checkins.models import EXTEND_MINUTES, MAX_BUDDIES, Buddy, Plan
from sombrilla.core import clock, crypto


def _zone(membership) -> ZoneInfo:
    preference = getattr(membership, "notify_preference", None)
    try:
        return ZoneInfo(preference.timezone if preference else settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # a zone dropped by a tzdata update
        return ZoneInfo(settings.TIME_ZONE)


def _local_time(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        with timezone.override(_zone(request.membership)):
            return view(request, *args, **kwargs)

    return wrapper


def _posted(request):
    return request.POST if request.method == "POST" else None


def _labelled(plan: Plan) -> Plan:
    plan.shown_label = Plan.Status(plan.shown_status).label
    return plan


def _details(plan: Plan) -> dict:
    """The client identifiers with their labels, and the SOS location as a plain map link (no embedded map:
    it would load from another host)."""
    details = {"identifiers": [(IdentifierKind(kind).label, value) for kind, value in services.plan_identifiers(plan)]}
    if plan.location:
        where = json.loads(plan.location)
        lat, lon = where["lat"], where["lon"]
        details["map_url"] = f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
        details["accuracy"] = where.get("accuracy") or 0
    return details


def _warnings_key(plan: Plan) -> str:
    return f"checkins:warnings:{plan.pk}"


# The member's own plans ---------------------------------------------------------------------------------


def _own_plan(request, plan_id) -> Plan:
    return _labelled(selectors.plan_get_for_member(actor=request.membership, plan_id=plan_id))


def _plan_page(request, plan: Plan, *, status: int = 200, close_form=None):
    own = services.safety_settings_get(membership=request.membership)
    context = {
        "plan": plan,
        "details": _details(plan),
        # Shown once, right after the plan is made: kinds, counts and categories, never the identifier itself.
        "warnings": request.session.pop(_warnings_key(plan), []),
        "has_pin": bool(own.pin_hash),
        "checkin_form": forms.CheckInForm(),
        "close_form": close_form or forms.CloseForm(),
        "extend_minutes": EXTEND_MINUTES,
        "record": selectors.escalation_record(plan=plan, for_member=True),
        "responders": selectors.responders_of(plan=plan, for_member=True),
    }
    return render(request, "checkins/plan.html", context, status=status)


@member_required
@_local_time
def home(request):
    actor = request.membership
    context = {
        "plans": [_labelled(plan) for plan in selectors.plans_of(actor=actor)],
        "has_buddy": selectors.buddies_of(actor=actor).filter(status=Buddy.Status.ACCEPTED).exists(),
    }
    return render(request, "checkins/home.html", context)


@member_required
@_local_time
def plan_new(request):
    form = forms.PlanForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        starts_at = data["starts_at"] or clock.now()
        try:
            plan, warnings = services.plan_create(
                actor=request.membership,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=data["minutes"]),
                place=data["place"],
                identifiers=form.identifiers(),
                note=data["note"],
            )
        except services.CheckinError as exc:
            form.add_error(None, str(exc))
        else:
            if warnings:
                request.session[_warnings_key(plan)] = [
                    {
                        "label": str(IdentifierKind(warning.kind).label),
                        "reports": warning.reports,
                        "confirmed": warning.confirmed,
                        "categories": [str(category) for category in warning.categories],
                    }
                    for warning in warnings
                ]
            messages.success(request, _("Your plan is on. Check in here when you are safe."))
            return redirect("checkins:plan", plan_id=plan.pk)
    return render(request, "checkins/plan_form.html", {"form": form}, status=400 if form.errors else 200)


@member_required
@_local_time
def plan(request, plan_id):
    return _plan_page(request, _own_plan(request, plan_id))


@member_required
@require_POST
@_local_time
def check_in(request, plan_id):
    """A safe check-in and a duress check-in answer with the very same redirect and message."""
    plan = _own_plan(request, plan_id)
    form = forms.CheckInForm(request.POST)
    try:
        if not form.is_valid():  # no PIN is 65 characters or holds a NUL: wrong, but not worth a count
            raise services.CheckinError(_("That PIN is not right."))
        services.plan_check_in(actor=request.membership, plan=plan, pin=form.cleaned_data["pin"])
    except services.CheckinError as exc:
        messages.error(request, str(exc))
        return _plan_page(request, _own_plan(request, plan_id), status=400)
    messages.success(request, _("You checked in. Stay safe."))
    return redirect("checkins:plan", plan_id=plan.pk)


@member_required
@require_POST
@_local_time
def extend(request, plan_id):
    plan = _own_plan(request, plan_id)
    form = forms.ExtendForm(request.POST)
    try:
        # Anything but 15, 30 or 60 is refused by the service, in its own words.
        minutes = form.cleaned_data["minutes"] if form.is_valid() else 0
        plan = services.plan_extend(actor=request.membership, plan=plan, minutes=minutes)
    except services.CheckinError as exc:
        messages.error(request, str(exc))
        return _plan_page(request, plan, status=400)
    ends = formats.time_format(timezone.localtime(plan.ends_at), "H:i")
    messages.success(request, _("Extended. Check in by %(time)s.") % {"time": ends})
    return redirect("checkins:plan", plan_id=plan.pk)


@member_required
@require_POST
def sos(request):
    """Never refused for a bad location or a stale page: the SOS goes out, and the member is told what was
    left out."""
    form = forms.SosForm(request.POST)
    form.is_valid()
    if "plan" in form.errors:
        raise Http404
    plan = None
    if form.cleaned_data.get("plan"):
        plan = selectors.plan_get_for_member(actor=request.membership, plan_id=form.cleaned_data["plan"])
    refused = form.location_refused()
    try:
        plan = services.plan_sos(actor=request.membership, plan=plan, location=None if refused else form.location())
    except services.CheckinError as exc:
        messages.error(request, str(exc))
        return redirect("checkins:home")
    messages.success(request, _("SOS sent. Your buddies and the duty staff are being alerted now."))
    if refused:
        messages.warning(request, _("Your location could not be read on this device, so it was not sent."))
    return redirect("checkins:plan", plan_id=plan.pk)


def _plan_to_close(request, plan_id) -> tuple[Plan, bool]:
    """The member's own plan, or for staff any escalated plan of the organisation. True if it is the member's."""
    try:
        return _own_plan(request, plan_id), True
    except Http404:
        if not request.membership.is_staff_role:
            raise
    return selectors.plan_get_for_responder(actor=request.membership, plan_id=plan_id), False


@member_required
@require_POST
@_local_time
def close(request, plan_id):
    plan, own = _plan_to_close(request, plan_id)
    form = forms.CloseForm(request.POST)
    if not form.is_valid():
        # At the top as well: the form itself is not shown once the plan is closed.
        messages.error(request, _("Please check the form."))
    else:
        try:
            services.plan_close(
                actor=request.membership,
                plan=plan,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except services.CheckinError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The plan is closed. Everyone who was alerted is told it is over."))
            return redirect("checkins:plan" if own else "checkins:alert", plan_id=plan.pk)
    if own:
        return _plan_page(request, _own_plan(request, plan_id), status=400, close_form=form)
    return _alert_page(request, plan, status=400, close_form=form)


@member_required
@require_POST
def report(request, plan_id):
    """The alerts report form, filled in with the plan's client identifiers. Nothing is saved here: the form
    goes to the alerts app's own page. POST only, so the identifiers never appear in a URL."""
    plan = _own_plan(request, plan_id)
    areas = account_selectors.area_list(organisation=request.membership.organisation)
    field_of = {kind: name for name, kind in ReportForm.IDENTIFIER_FIELDS.items()}
    initial = {field_of[kind]: value for kind, value in services.plan_identifiers(plan) if kind in field_of}
    initial.update(submission_key=crypto.random_token(24), account=plan.outcome_note)
    context = {
        "form": ReportForm(areas=areas, initial=initial),
        "has_areas": bool(areas),
        "action": reverse("alerts:report"),
    }
    return render(request, "alerts/report_form.html", context)


# Buddies and own settings -------------------------------------------------------------------------------


@member_required
def buddies(request):
    actor = request.membership
    action = request.POST.get("action") if request.method == "POST" else None
    member_form = forms.MemberBuddyForm(request.POST if action == "member" else None)
    outside_form = forms.OutsideBuddyForm(
        request.POST if action == "outside" else None,
        initial={"language": actor.account.language or settings.LANGUAGE_CODE},
    )
    status = 200
    if action is not None:
        form = {"member": member_form, "outside": outside_form}.get(action)
        if form is not None and form.is_valid():
            data = form.cleaned_data
            try:
                if action == "member":
                    buddy = services.buddy_add_member(actor=actor, pseudonym=data["pseudonym"])
                    done = _("We asked %(name)s. They count as your buddy once they accept.")
                else:
                    buddy = services.buddy_add_outside(
                        actor=actor,
                        kind=data["kind"],
                        contact=data["contact"],
                        name=data["name"],
                        known_as=data["known_as"],
                        language=data["language"],
                    )
                    done = _("%(name)s is your buddy now. We only contact them if you need help.")
            except services.CheckinError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, done % {"name": buddy.name})
                return redirect("checkins:buddies")
        elif form is None:
            messages.error(request, _("Please check the form."))
        status = 400
    context = {
        "buddies": selectors.buddies_of(actor=actor),
        "requests": selectors.buddy_requests_for(actor=actor),
        "member_form": member_form,
        "outside_form": outside_form,
        "max_buddies": MAX_BUDDIES,
    }
    return render(request, "checkins/buddies.html", context, status=status)


@member_required
@require_POST
def buddy_answer(request, buddy_id):
    buddy = selectors.buddy_get(actor=request.membership, buddy_id=buddy_id)
    answer = request.POST.get("answer")
    try:
        if answer not in ("accept", "decline"):
            raise services.CheckinError(_("Please check the form."))
        services.buddy_answer(actor=request.membership, buddy=buddy, accept=answer == "accept")
    except services.CheckinError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Thank you. You will be told if they need help.") if answer == "accept" else _("Declined.")
        )
    return redirect("checkins:buddies")


@member_required
@require_POST
def buddy_remove(request, buddy_id):
    buddy = selectors.buddy_get(actor=request.membership, buddy_id=buddy_id)
    try:
        services.buddy_remove(actor=request.membership, buddy=buddy)
    except services.CheckinError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Removed."))
    return redirect("checkins:buddies")


@member_required
def safety_settings(request):
    actor = request.membership
    own = services.safety_settings_get(membership=actor)
    form = forms.SafetySettingsForm(_posted(request), initial={"grace_minutes": own.grace_minutes})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.safety_settings_update(
                membership=actor,
                grace_minutes=data["grace_minutes"],
                pin=data["pin"],
                duress_pin=data["duress_pin"],
                remove_pins=data["remove_pins"],
            )
        except services.CheckinError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved. New plans use these settings."))
            return redirect("checkins:settings")
    context = {"form": form, "has_pin": bool(own.pin_hash), "has_duress_pin": bool(own.duress_pin_hash)}
    return render(request, "checkins/settings.html", context, status=400 if form.errors else 200)


# Responders and staff -----------------------------------------------------------------------------------


def _alert_page(request, plan: Plan, *, status: int = 200, close_form=None):
    # Every showing of another member's plan is audited, the one after a refused form included.
    services.plan_viewed(actor=request.membership, plan=plan)
    context = {
        "plan": plan,
        "details": _details(plan),
        "record": selectors.escalation_record(plan=plan, for_member=False),
        "responders": selectors.responders_of(plan=plan),
        "close_form": close_form or forms.CloseForm(),
    }
    return render(request, "checkins/alert.html", context, status=status)


@member_required
@_local_time
def alert(request, plan_id):
    return _alert_page(request, selectors.plan_get_for_responder(actor=request.membership, plan_id=plan_id))


@member_required
@require_POST
def respond(request, plan_id):
    plan = selectors.plan_get_for_responder(actor=request.membership, plan_id=plan_id)
    try:
        services.plan_respond(actor=request.membership, plan=plan)
    except services.CheckinError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Thank you. The others can see that you are on it."))
    return redirect("checkins:alert", plan_id=plan.pk)


@staff_required
@_local_time
def staff_plans(request):
    return render(request, "checkins/staff_plans.html", {"plans": selectors.escalated_plans(actor=request.membership)})


@staff_required
def duty(request):
    actor = request.membership
    staff = account_selectors.membership_list(actor=actor).filter(
        role__in=(Role.STAFF, Role.ADMIN), suspended_at__isnull=True
    )
    form = forms.DutySlotForm(_posted(request), staff=staff)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.duty_slot_add(
                actor=actor,
                membership=account_selectors.membership_get_for_staff(actor=actor, membership_id=data["membership"]),
                weekday=data["weekday"],
                start=data["start"],
                end=data["end"],
            )
        except services.CheckinError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The shift is on the rota."))
            return redirect("checkins:duty")
    context = {"rota": selectors.duty_rota(actor=actor), "form": form}
    return render(request, "checkins/duty.html", context, status=400 if form.errors else 200)


@staff_required
@require_POST
def duty_remove(request, slot_id):
    slot = get_object_or_404(selectors.duty_rota(actor=request.membership), pk=slot_id)
    try:
        services.duty_slot_remove(actor=request.membership, slot=slot)
    except services.CheckinError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The shift is off the rota."))
    return redirect("checkins:duty")


# The outside contact's one-time link ---------------------------------------------------------------------


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def link(request, token):
    """Public: the token in the path is the whole credential, so there is no session for a forged form to
    ride on, and CSRF protection would only refuse the real form (under no-referrer, browsers send
    `Origin: null` with it). No-referrer keeps the token out of every request the page makes.

    The page is in the language the member chose for this contact and names the member as the contact knows
    them, never by their pseudonym or organisation."""
    try:
        plan, buddy = services.link_open(token=token, respond=request.method == "POST")
    except services.CheckinError as exc:
        response = render(request, "checkins/link.html", {"gone": str(exc)}, status=410)
    else:
        # The language the member chose for this contact, unless the contact has since picked one here.
        chosen = settings.LANGUAGE_COOKIE_NAME in request.COOKIES
        language = translation.get_language() if chosen or not buddy.language else buddy.language
        with translation.override(language), timezone.override(_zone(plan.membership)):
            context = {
                "plan": plan,
                "name": buddy.known_as or _("your friend"),
                "details": _details(plan),
                "responders": len(selectors.responders_of(plan=plan)),
                "responded": request.method == "POST",
            }
            response = render(request, "checkins/link.html", context)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
