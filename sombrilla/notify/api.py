"""Notification endpoints: preferences, push subscriptions, the inbox, and dead letters for staff."""

from datetime import datetime, time
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import field_validator

from sombrilla.accounts.access import api_member, api_staff
from sombrilla.accounts.api import AUTH_ERRORS, BODY_ERRORS, PARAM_ERRORS, Detail, In, Pagination
from sombrilla.notify import channels, selectors, services
from sombrilla.notify.models import Channel

router = Router(tags=["notifications"])


class PreferenceOut(Schema):
    channels: list[str] = Field(description="Channels besides the in-app inbox, which is always on")
    available: list[str] = Field(description="Channels this site can send on")
    discreet: bool
    quiet_start: time | None
    quiet_end: time | None
    timezone: str
    email_contact: str
    sms_contact: str
    push_key: str = Field(description="Application server key for PushManager.subscribe (empty: no push)")


class PreferenceIn(In):
    channels: list[Channel] = Field(max_length=4)
    discreet: bool = True
    quiet_start: time | None = None
    quiet_end: time | None = None
    timezone: str = Field("UTC", max_length=64)
    email_contact: str | None = Field(None, max_length=254, description="Omit to keep, empty to remove")
    sms_contact: str | None = Field(None, max_length=32, description="Omit to keep, empty to remove")

    @field_validator("quiet_start", "quiet_end")
    @classmethod
    def _local_time(cls, value):
        # Quiet hours are wall-clock times in `timezone`; a time with its own offset cannot be stored as one.
        if value is not None and value.tzinfo is not None:
            raise ValueError(_("Give quiet hours as a local time, without a time zone."))
        return value


class PushSubscriptionIn(In):
    endpoint: str = Field(max_length=1000)
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)


class PushEndpointIn(In):
    endpoint: str = Field(max_length=1000)


class InboxEntryOut(Schema):
    id: UUID
    topic: str = Field(alias="dispatch.topic")
    title: str
    url: str = Field(alias="dispatch.url")
    created_at: datetime
    read: bool

    @staticmethod
    def resolve_title(entry) -> str:
        return str(entry.dispatch.get_topic_display())

    @staticmethod
    def resolve_read(entry) -> bool:
        return entry.read_at is not None


class InboxReadIn(In):
    ids: list[UUID] | None = Field(None, max_length=500, description="Omit to mark everything read")


class MarkedOut(Schema):
    marked: int


class DeadDeliveryOut(Schema):
    id: UUID
    topic: str = Field(alias="dispatch.topic")
    channel: str
    attempts: int
    last_error: str
    created_at: datetime


def _preference_out(membership) -> PreferenceOut:
    preference = services.preference_get(membership=membership)
    contacts = {c.channel: c.contact for c in membership.contacts.all()}
    available = services.channels_available()
    return PreferenceOut(
        channels=preference.channels,
        available=available,
        discreet=preference.discreet,
        quiet_start=preference.quiet_start,
        quiet_end=preference.quiet_end,
        timezone=preference.timezone,
        email_contact=contacts.get(Channel.EMAIL, ""),
        sms_contact=contacts.get(Channel.SMS, ""),
        push_key=channels.vapid_public_key() if Channel.PUSH in available else "",
    )


@router.get("notifications/preferences", response={200: PreferenceOut, **AUTH_ERRORS})
def preference_get(request):
    return _preference_out(api_member(request))


@router.put("notifications/preferences", response={200: PreferenceOut, **AUTH_ERRORS, **BODY_ERRORS})
def preference_put(request, payload: PreferenceIn):
    membership = api_member(request)
    services.notification_settings_save(
        membership=membership,
        channels=payload.channels,
        discreet=payload.discreet,
        quiet_start=payload.quiet_start,
        quiet_end=payload.quiet_end,
        timezone=payload.timezone,
        contacts={Channel.EMAIL: payload.email_contact, Channel.SMS: payload.sms_contact},
    )
    return _preference_out(membership)


@router.post("notifications/test", response={202: Detail, **AUTH_ERRORS})
def notification_test(request):
    services.notification_test_send(membership=api_member(request))
    return Status(202, {"detail": _("A test message is on its way on every channel you chose.")})


@router.post("notifications/push-subscriptions", response={201: None, **AUTH_ERRORS, **BODY_ERRORS})
def push_subscribe(request, payload: PushSubscriptionIn):
    services.push_subscribe(membership=api_member(request), **payload.dict())
    return Status(201, None)


@router.post("notifications/push-subscriptions/remove", response={204: None, **AUTH_ERRORS, **BODY_ERRORS})
def push_unsubscribe(request, payload: PushEndpointIn):
    services.push_unsubscribe(membership=api_member(request), endpoint=payload.endpoint)
    return Status(204, None)


@router.get("inbox", response={200: list[InboxEntryOut], **AUTH_ERRORS, **PARAM_ERRORS})
@paginate(Pagination)
def inbox(request):
    return selectors.inbox_list(membership=api_member(request))


@router.post("inbox/read", response={200: MarkedOut, **AUTH_ERRORS, **BODY_ERRORS})
def inbox_read(request, payload: InboxReadIn):
    return MarkedOut(marked=services.inbox_mark_read(membership=api_member(request), delivery_ids=payload.ids))


@router.get("staff/deliveries/dead", response={200: list[DeadDeliveryOut], **AUTH_ERRORS, **PARAM_ERRORS})
@paginate(Pagination)
def deliveries_dead(request):
    return selectors.delivery_dead_list(actor=api_staff(request))


@router.post(
    "staff/deliveries/{uuid:delivery_id}/retry", response={204: None, 404: Detail, **AUTH_ERRORS, **BODY_ERRORS}
)
def delivery_retry(request, delivery_id: UUID):
    actor = api_staff(request)
    delivery = selectors.delivery_get_for_staff(actor=actor, delivery_id=delivery_id)
    services.delivery_retry(actor=actor, delivery=delivery)
    return Status(204, None)
