"""Reads for notification pages and the API, scoped to the member or to the staff member's organisation."""

from collections.abc import Iterable

from django.db import connection
from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from sombrilla.accounts.models import Membership
from sombrilla.notify.models import Channel, Delivery, PushSubscription


def inbox_list(*, membership: Membership) -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(membership=membership, channel=Channel.INAPP)
        .select_related("dispatch")
        .order_by("-created_at")
    )


# Every page's navigation shows this count, so it is written out once (it matches index delivery_inbox)
# rather than compiled by the ORM per page, which took longer than the database took to answer.
_INBOX_UNREAD = (
    'SELECT COUNT(*) FROM "notify_delivery" WHERE "membership_id" = %s AND "channel" = %s AND "read_at" IS NULL'
)


def inbox_unread_count(*, membership: Membership) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            _INBOX_UNREAD, [Membership._meta.pk.get_db_prep_value(membership.pk, connection), Channel.INAPP.value]
        )
        return cursor.fetchone()[0]


def push_subscription_count(*, membership: Membership) -> int:
    return PushSubscription.objects.filter(membership=membership).count()


def delivery_status_counts(*, actor: Membership) -> dict[tuple[str, str], int]:
    """Deliveries per channel and status in the staff member's organisation (no recipients named)."""
    rows = (
        Delivery.objects.filter(dispatch__organisation=actor.organisation)
        .values("channel", "status")
        .annotate(n=Count("id"))
    )
    return {(row["channel"], row["status"]): row["n"] for row in rows}


def delivery_dead_list(*, actor: Membership) -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(dispatch__organisation=actor.organisation, status=Delivery.Status.DEAD)
        .select_related("dispatch")
        .order_by("-created_at")
    )


def delivery_get_for_staff(*, actor: Membership, delivery_id) -> Delivery:
    return get_object_or_404(
        Delivery.objects.select_related("dispatch"), id=delivery_id, dispatch__organisation=actor.organisation
    )


def deliveries_of(*, dispatch_ids: Iterable) -> QuerySet[Delivery]:
    """Every delivery of these dispatches, inbox entries included, oldest first: who was told, on which channel,
    when, and whether it arrived. Not scoped: the caller passes only dispatches it has already scoped (those
    announcing something the viewer may see)."""
    return (
        Delivery.objects.filter(dispatch_id__in=list(dispatch_ids))
        .select_related("membership__account")
        .order_by("created_at")
    )
