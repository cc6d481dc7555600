"""Notification settings, the inbox, push subscription and the staff view of deliveries. Thin, as elsewhere."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sombrilla.accounts.access import member_required, staff_required
from sombrilla.notify import channels, forms, selectors, services
from sombrilla.notify.models import Channel, Delivery


def _contacts_initial(membership) -> dict:
    saved = {c.channel: c.contact for c in membership.contacts.all()}
    return {"email_contact": saved.get(Channel.EMAIL, ""), "sms_contact": saved.get(Channel.SMS, "")}


@member_required
def preferences(request):
    membership = request.membership
    available = services.channels_available()
    preference = services.preference_get(membership=membership)
    initial = {
        "channels": preference.channels,
        "discreet": preference.discreet,
        "quiet_start": preference.quiet_start,
        "quiet_end": preference.quiet_end,
        "timezone": preference.timezone,
        **_contacts_initial(membership),
    }
    form = forms.PreferenceForm(request.POST or None, initial=initial, available=available)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.notification_settings_save(
                    membership=membership,
                    channels=data["channels"],
                    discreet=data["discreet"],
                    quiet_start=data["quiet_start"],
                    quiet_end=data["quiet_end"],
                    timezone=data["timezone"].strip(),
                    # A field the form leaves out (its channel is off here) keeps what was saved.
                    contacts={Channel.EMAIL: data.get("email_contact"), Channel.SMS: data.get("sms_contact")},
                )
            except services.NotifyError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Your notification settings are saved."))
                return redirect("notify:preferences")
        status = 400
    context = {
        "form": form,
        "push_available": Channel.PUSH in available,
        "vapid_key": channels.vapid_public_key() if Channel.PUSH in available else "",
        "devices": selectors.push_subscription_count(membership=membership),
    }
    return render(request, "notify/preferences.html", context, status=status)


@member_required
@require_POST
def test_send(request):
    services.notification_test_send(membership=request.membership)
    messages.success(request, _("A test message is on its way on every channel you chose."))
    return redirect("notify:preferences")


@member_required
@require_POST
def push_subscribe(request):
    form = forms.PushSubscriptionForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"detail": _("This browser's push subscription could not be used.")}, status=400)
    try:
        services.push_subscribe(membership=request.membership, **form.cleaned_data)
    except services.NotifyError as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    return JsonResponse({"detail": _("Notifications are on for this device.")}, status=201)


@member_required
@require_POST
def push_unsubscribe(request):
    endpoint = request.POST.get("endpoint", "")[:1000]
    services.push_unsubscribe(membership=request.membership, endpoint=endpoint)
    return JsonResponse({"detail": _("Notifications are off for this device.")})


@member_required
def inbox(request):
    membership = request.membership
    if request.method == "POST":
        services.inbox_mark_read(membership=membership)
        return redirect("notify:inbox")
    entries = Paginator(selectors.inbox_list(membership=membership), 30).get_page(request.GET.get("page"))
    return render(request, "notify/inbox.html", {"entries": entries})


@staff_required
def deliveries(request):
    actor = request.membership
    counts = selectors.delivery_status_counts(actor=actor)
    table = [
        (Channel(channel).label, [counts.get((channel, status), 0) for status in Delivery.Status.values])
        for channel in Channel.values
    ]
    dead = Paginator(selectors.delivery_dead_list(actor=actor), 50).get_page(request.GET.get("page"))
    return render(request, "notify/deliveries.html", {"table": table, "statuses": Delivery.Status.labels, "dead": dead})


@staff_required
@require_POST
def delivery_retry(request, delivery_id):
    delivery = selectors.delivery_get_for_staff(actor=request.membership, delivery_id=delivery_id)
    try:
        services.delivery_retry(actor=request.membership, delivery=delivery)
    except services.NotifyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The delivery will be tried again."))
    return redirect("notify:deliveries")
