"""Thin views: parse the form, call one service or selector, render. No model writes here.

Forms that fail are shown again with everything typed and status 400, so a report is never lost to a
mistake; the screening page is never cached and never puts the checked value in a URL.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sombrilla.accounts import selectors as account_selectors
from sombrilla.accounts.access import member_required, moderator_required, staff_required
from sombrilla.alerts import forms, selectors, services
from sombrilla.alerts.models import Report
from sombrilla.core import crypto
from sombrilla.core.audit import AuditAction
from sombrilla.core.services import audit_record
from sombrilla.rights.selectors import police_rights_links


def _form_error(form, exc: Exception) -> None:
    form.add_error(None, str(exc))


def _posted(request):
    """The submitted data on a POST, even an empty one (unticking every area sends nothing but the token)."""
    return request.POST if request.method == "POST" else None


def _areas(request):
    return account_selectors.area_list(organisation=request.membership.organisation)


def _area(request, area_id):
    return account_selectors.area_get_for_member(actor=request.membership, area_id=area_id)


# Feed and alerts ------------------------------------------------------------------------------------------


@member_required
def feed(request):
    feed = selectors.alert_feed(actor=request.membership)
    police_rights_links(feed.police_alerts)
    return render(request, "alerts/feed.html", {"feed": feed})


@member_required
def alert_detail(request, alert_id):
    alert = selectors.alert_get_for_member(actor=request.membership, alert_id=alert_id)
    return render(request, "alerts/alert.html", {"alert": alert})


@member_required
def police_alert_detail(request, police_alert_id):
    police_alert = selectors.police_alert_get_for_member(actor=request.membership, police_alert_id=police_alert_id)
    police_rights_links([police_alert])
    return render(request, "alerts/police_alert.html", {"police_alert": police_alert})


@member_required
def follow(request):
    areas = _areas(request)
    initial = {"areas": [str(area_id) for area_id in selectors.followed_area_ids(actor=request.membership)]}
    form = forms.FollowForm(_posted(request), areas=areas, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.area_follow_set(
                actor=request.membership, areas=[_area(request, area_id) for area_id in form.cleaned_data["areas"]]
            )
        except services.AlertError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Saved. You will see alerts for these areas."))
            return redirect("alerts:feed")
    return render(
        request, "alerts/follow.html", {"form": form, "has_areas": bool(areas)}, status=400 if form.errors else 200
    )


# Reports --------------------------------------------------------------------------------------------


@member_required
def report_new(request):
    membership = request.membership
    areas = _areas(request)
    followed = selectors.followed_area_ids(actor=membership)
    initial = {"submission_key": crypto.random_token(24)}
    if len(followed) == 1:
        initial["area"] = str(next(iter(followed)))
    form = forms.ReportForm(_posted(request), areas=areas, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = services.report_create(
                actor=membership,
                occurred_on=data["occurred_on"],
                occurred_approximate=data["occurred_approximate"],
                area=_area(request, data["area"]),
                categories=data["categories"],
                account=data["account"],
                identifiers=[
                    services.IdentifierIn(
                        kind=kind, value=data[name], platform=data["platform"] if name == "handle" else ""
                    )
                    for name, kind in forms.ReportForm.IDENTIFIER_FIELDS.items()
                ],
                person_description=data["person_description"],
                vehicle_description=data["vehicle_description"],
                consent_alert=data["consent_alert"],
                consent_referral=data["consent_referral"],
                consent_statistics=data["consent_statistics"],
                submission_key=data["submission_key"],
            )
        except services.AlertError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Thank you. Your report is saved and a moderator will read it."))
            if services.can_publish_own(membership) and report.consent_alert:
                return redirect("alerts:moderate_report", report_id=report.pk)
            return redirect("alerts:my_reports")
    return render(
        request, "alerts/report_form.html", {"form": form, "has_areas": bool(areas)}, status=400 if form.errors else 200
    )


@member_required
def my_reports(request):
    return render(
        request,
        "alerts/my_reports.html",
        {
            "reports": selectors.report_list_for_reporter(actor=request.membership)[:200],
            "police_alerts": selectors.police_alert_list_for_reporter(actor=request.membership)[:50],
            "rejected": Report.Status.REJECTED,
        },
    )


# Police alerts ------------------------------------------------------------------------------------------


@member_required
def police_new(request):
    areas = _areas(request)
    followed = selectors.followed_area_ids(actor=request.membership)
    initial = {"submission_key": crypto.random_token(24)}
    if len(followed) == 1:
        initial["area"] = str(next(iter(followed)))
    form = forms.PoliceAlertForm(_posted(request), areas=areas, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            police_alert = services.police_alert_create(
                actor=request.membership,
                area=_area(request, form.cleaned_data["area"]),
                kind=form.cleaned_data["kind"],
                minutes_ago=form.cleaned_data["minutes_ago"],
                note=form.cleaned_data["note"],
                submission_key=form.cleaned_data["submission_key"],
            )
        except services.AlertError as exc:
            _form_error(form, exc)
        else:
            if police_alert.status == police_alert.Status.PUBLISHED:
                messages.success(request, _("Sent. Members following this area are being warned now."))
                return redirect("alerts:police_alert", police_alert_id=police_alert.pk)
            messages.success(request, _("Sent. A moderator will check it and warn members."))
            return redirect("alerts:my_reports")
    return render(
        request,
        "alerts/police_form.html",
        {"form": form, "has_areas": bool(areas), "trusted": request.membership.trusted},
        status=400 if form.errors else 200,
    )


# Screening ------------------------------------------------------------------------------------------------


@member_required
def check(request):
    """The value checked is only in this request and its answer: never in a URL, a log or a cache."""
    form = forms.ScreeningForm(_posted(request))
    answer, status = None, 200
    if request.method == "POST" and form.is_valid():
        try:
            answer = services.screening_check(
                actor=request.membership, kind=form.cleaned_data["kind"], value=form.cleaned_data["value"]
            )
        except services.ScreeningLimitReached as exc:
            _form_error(form, exc)
            status = 429
        except services.AlertError as exc:
            _form_error(form, exc)
        else:
            # A fresh form, so the answer page does not keep the number on a shared phone's screen.
            form = forms.ScreeningForm(initial={"kind": form.cleaned_data["kind"]})
    if form.errors and status == 200:
        status = 400
    response = render(
        request,
        "alerts/check.html",
        {
            "form": form,
            "answer": answer,
            "left_today": answer.left_today if answer else selectors.screenings_left(actor=request.membership),
        },
        status=status,
    )
    add_never_cache_headers(response)
    return response


# Moderation ---------------------------------------------------------------------------------------------


@moderator_required
def queue(request, status=200):
    reports, police_alerts = selectors.moderation_queue(actor=request.membership)
    return render(
        request,
        "alerts/queue.html",
        {"reports": reports, "police_alerts": police_alerts, "reject_form": forms.PoliceRejectForm()},
        status=status,
    )


def _publish_initial(report) -> dict:
    return {"areas": [str(report.area_id)] if report.area_id else [], "categories": report.categories}


@moderator_required
def moderate_report(request, report_id):
    actor = request.membership
    report = selectors.report_get_for_moderator(actor=actor, report_id=report_id)
    matches = selectors.report_matches(report=report)
    action = request.POST.get("action") if request.method == "POST" else None
    bound = {"publish": None, "attach": None, "reject": None}
    if action in bound:
        bound[action] = request.POST
    publish_form = forms.PublishForm(bound["publish"], areas=_areas(request), initial=_publish_initial(report))
    attach_form = forms.AttachForm(bound["attach"], matches=matches)
    reject_form = forms.RejectForm(bound["reject"])
    status = 200
    if action is not None:
        try:
            if action == "publish" and publish_form.is_valid():
                data = publish_form.cleaned_data
                services.alert_publish(
                    actor=actor,
                    report=report,
                    text=data["text"],
                    areas=[_area(request, area_id) for area_id in data["areas"]],
                    categories=data["categories"],
                )
                done = _("The alert is published.")
            elif action == "attach" and attach_form.is_valid():
                alert = selectors.alert_get_for_moderator(actor=actor, alert_id=attach_form.cleaned_data["alert"])
                services.report_attach(actor=actor, report=report, alert=alert)
                done = _("The report is added to the alert.")
            elif action == "reject" and reject_form.is_valid():
                services.report_reject(actor=actor, report=report, reason=reject_form.cleaned_data["reason"])
                done = _("The report is rejected. The person who reported will see your reason.")
            elif action == "record":
                services.report_record(actor=actor, report=report)
                done = _("The report is kept on record.")
            else:
                raise services.AlertError(_("Please check the form."))
        except services.AlertError as exc:
            # At the top of the page: the form that failed may not be shown (the report was decided meanwhile).
            messages.error(request, str(exc))
            status = 400
        else:
            messages.success(request, done)
            return redirect("alerts:queue")
    # Reading a report shows its account and the client's identifiers: audited like any sensitive read.
    audit_record(actor=actor, action=AuditAction.REPORT_VIEWED, target_type="report", target_id=report.pk)
    return render(
        request,
        "alerts/moderate_report.html",
        {
            "report": report,
            "matches": matches,
            "similar_pending": selectors.similar_pending_count(report=report),
            "publish_form": publish_form,
            "attach_form": attach_form,
            "reject_form": reject_form,
            "own": report.reporter_id == actor.pk and not actor.trusted,
        },
        status=status,
    )


@staff_required
def referral(request, report_id):
    report = selectors.report_get_for_moderator(actor=request.membership, report_id=report_id)
    try:
        text = services.report_referral(actor=request.membership, report=report)
    except services.AlertError as exc:
        messages.error(request, str(exc))
        return redirect("alerts:moderate_report", report_id=report.pk)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="report.txt"'
    add_never_cache_headers(response)
    return response


@moderator_required
@require_POST
def moderate_police(request, police_alert_id):
    actor = request.membership
    police_alert = selectors.police_alert_get_for_moderator(actor=actor, police_alert_id=police_alert_id)
    action = request.POST.get("action")
    form = forms.PoliceRejectForm(request.POST)
    try:
        if action == "approve":
            services.police_alert_approve(actor=actor, police_alert=police_alert)
            done = _("The police alert is published.")
        elif action == "reject" and form.is_valid():
            services.police_alert_reject(actor=actor, police_alert=police_alert, reason=form.cleaned_data["reason"])
            done = _("The police alert is rejected.")
        else:
            messages.error(
                request, " ".join(m for errors in form.errors.values() for m in errors) or _("Please check the form.")
            )
            return queue(request, status=400)
    except services.AlertError as exc:
        messages.error(request, str(exc))
        return queue(request, status=400)
    messages.success(request, done)
    return redirect("alerts:queue")
