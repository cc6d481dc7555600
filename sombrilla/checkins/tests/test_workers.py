"""Check-in escalations through real worker processes: deadlines that pass while no worker runs, a worker
killed with SIGKILL in the middle of an escalation or half-way through one step's transaction, and two
workers firing the same plans at once (the last two need PostgreSQL's row locks).

The worker harness (processes started and killed, their environment pointing at the test database, Redis
and peers) is notify's, imported from its worker tests; so are the SMTP server, SMS gateway and push service
peers. Deadlines are moved with an UPDATE: the services refuse an end in the past, and waiting out a real
grace period would take minutes. Select these tests with `-m workers`. Every wait is a bounded poll.
"""

import json
import re
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from sombrilla.checkins import services
from sombrilla.checkins.models import Buddy, ContactLink, Plan, Step
from sombrilla.checkins.tests.factories import make_plan, member_buddy, outside_buddy
from sombrilla.notify.models import Channel, Delivery, Dispatch, Topic
from sombrilla.notify.tests import conftest as notify_peers
from sombrilla.notify.tests import test_workers as notify_workers
from sombrilla.notify.tests.conftest import SITE_URL
from sombrilla.notify.tests.factories import outgoing, quick_member, reachable
from sombrilla.notify.tests.test_workers import BATCH, OUTSIDE, _expected_keys, _received, _sent

# notify's fixtures, under the names the tests ask for: the push service peer, the worker harness, the figures.
push_peer, workers, report = notify_peers.push_peer, notify_workers.workers, notify_workers.report

pytestmark = [pytest.mark.workers, pytest.mark.timeout(300), pytest.mark.django_db(transaction=True)]

GRACE_MINUTES = 15
GRACE = timedelta(minutes=GRACE_MINUTES)
# What each task loop logs once it runs (the database backend's, RQ's); the scheduler thread starts before it.
READY = re.compile(r"Starting worker|started with PID")
LINK = re.compile(re.escape(SITE_URL) + r"/c/([\w-]+)/")


@pytest.fixture(autouse=True)
def _logged_start(workers):
    """_ready() reads a worker's start from its log, whatever LOG_LEVEL this run was given."""
    workers.env["LOG_LEVEL"] = "INFO"


def _town(organisation, push_peer, *, owners: int, member_buddies: int = 1) -> list[Plan]:
    """`owners` members with an open plan each, and as buddies `member_buddies` members (in-app and push,
    shared by every owner), one outside contact by SMS and one by email."""
    buddies = [quick_member(organisation, f"buddy{i}") for i in range(member_buddies)]
    plans = []
    for i in range(owners):
        owner = quick_member(organisation, f"owner{i:03d}")
        for buddy in buddies:
            member_buddy(owner, buddy)
        outside_buddy(owner, Buddy.Kind.SMS, f"+25470{i:07d}")
        outside_buddy(owner, Buddy.Kind.EMAIL, f"friend{i:03d}@example.org")
        plans.append(make_plan(owner))
    for buddy in buddies:
        # Reachable by push only from now on: their buddy requests stayed in the inbox, so everything the push
        # service receives is an escalation.
        reachable(buddy, push=push_peer)
    return plans


def _lapse(plans: list[Plan], due: datetime) -> None:
    """Make end + grace fall at `due`, as if the meeting had ended and the member had been asked and stayed
    silent; the timer then waits for `due`. Test set-up, done behind the services' back."""
    Plan.objects.filter(pk__in=[plan.pk for plan in plans]).update(
        ends_at=due - GRACE, grace_minutes=GRACE_MINUTES, next_step_at=due
    )


def _buddies_of(plan: Plan) -> set:
    """(plan, recipient, channel) that the plan's buddies step must reach: a member buddy in the inbox and by
    push, an outside contact on their own channel. A recipient is a membership or an outside buddy."""
    expected = set()
    for buddy in Buddy.objects.filter(membership_id=plan.membership_id):
        if buddy.kind == Buddy.Kind.MEMBER:
            expected |= {(plan.pk, buddy.buddy_id, Channel.INAPP), (plan.pk, buddy.buddy_id, Channel.PUSH)}
        else:
            expected.add((plan.pk, buddy.pk, buddy.kind))
    return expected


def _assert_told_once(topic: str, expected: set) -> None:
    """Every (plan, recipient, channel) expected has exactly one delivery of `topic`, sent, and nobody else has
    one. A step fired twice would show here: each firing writes a dispatch with deliveries of its own."""
    rows = Delivery.objects.filter(dispatch__topic=topic)
    told = Counter(
        (plan, member or reference, channel)
        for plan, member, reference, channel in rows.values_list(
            "dispatch__target_id", "membership_id", "reference", "channel"
        )
    )
    assert set(told) == expected
    assert set(told.values()) == {1}
    assert set(rows.values_list("status", flat=True)) == {Delivery.Status.SENT}


def _repeats_at_peers(smtp_peer, sms_peer, push_peer) -> dict:
    """Check that every message's idempotency key reached its peer; return how many arrived more than once."""
    received = _received(smtp_peer, sms_peer, push_peer)
    repeats = {}
    for channel in OUTSIDE:
        assert set(received[channel]) == _expected_keys(channel), channel
        repeats[channel] = sum(received[channel].values()) - len(received[channel])
    return repeats


def _steps_per_plan(kind: str) -> dict:
    return dict(Step.objects.filter(kind=kind).values_list("plan").annotate(n=Count("id")))


def _ready(workers, process) -> float:
    """Wait until `process` says its task loop runs; returns when that was seen (time.time())."""
    path = next(path for started, _log, path in workers.processes if started is process)
    workers.wait_for("the worker to start", lambda: READY.search(path.read_text(errors="replace")), timeout=60)
    return time.time()


def _waiting_on_a_lock() -> bool:
    """A session of this database (a worker's) is waiting for a lock."""
    with connection.cursor() as cursor:
        # Inside a transaction the activity view is read once and kept, unless told to look again.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_it_fires_deadlines_that_passed_while_no_worker_ran_within_a_tick_of_starting_one(
    org_a, smtp_peer, sms_peer, push_peer, workers, report
):
    tick = int(workers.env["SCHEDULER_TICK_SECONDS"])
    plans = _town(org_a, push_peer, owners=3)
    _ready(workers, workers.start())
    workers.stop_all()  # every worker is gone ...
    _lapse(plans[:2], timezone.now() - timedelta(minutes=5))  # ... while two plans fall due
    assert not Step.objects.exists()

    started = time.time()
    ready = _ready(workers, workers.start())
    # One more falls due while the worker runs: the tick, not the start-up, is what it waits for.
    due = timezone.now() + timedelta(seconds=2)
    _lapse(plans[2:], due)
    workers.wait_for(
        "every buddy to be told",
        lambda: Step.objects.filter(kind=Step.Kind.BUDDIES).count() == len(plans) and _sent() == 3 * len(plans),
        timeout=60,
    )

    # When each step was written (with its dispatch); a step's fired_at is the start of the tick that fired it.
    fired = dict(Step.objects.filter(kind=Step.Kind.BUDDIES).values_list("plan_id", "dispatch__created_at"))
    overdue = max(fired[plan.pk].timestamp() for plan in plans[:2]) - started
    assert overdue <= ready - started + tick
    late = (fired[plans[2].pk] - due).total_seconds()
    # A tick runs every job and then sleeps `tick`: allow one tick plus the jobs' time on a busy machine.
    assert 0 <= late <= tick + 1
    _assert_told_once(Topic.CHECKIN_ALERT, set().union(*map(_buddies_of, plans)))
    assert _repeats_at_peers(smtp_peer, sms_peer, push_peer) == dict.fromkeys(OUTSIDE, 0)

    # What the buddies got. The member buddy's push says nothing about anyone (the inbox has the details) ...
    assert [r["payload"]["body"] for r in push_peer.received()] == ["New update from Sombrilla"] * len(plans)
    # ... an outside contact's SMS and email name the member as the contact knows them, and carry a link
    # that opens the plan.
    texts = [json.loads(r["body"])["text"] for r in sms_peer.received()] + [m.get_content() for m in smtp_peer.messages]
    opened = Counter()
    for text in texts:
        assert "Rosa has not checked in" in text
        plan, _contact = services.link_open(token=LINK.search(text).group(1))
        opened[plan.pk] += 1
    assert opened == dict.fromkeys((plan.pk for plan in plans), 2)
    last_sent = max(outgoing().values_list("sent_at", flat=True)).timestamp() - started
    report(
        f"tick {tick}s; worker up {ready - started:.2f}s after its start; deadlines passed while no worker ran "
        f"fired {overdue:.2f}s after it started; one passing while it ran fired {late:.2f}s after it; "
        f"last buddy message sent {last_sent:.2f}s after the start"
    )


def test_it_tells_every_buddy_exactly_once_when_the_worker_is_killed_in_the_middle_of_an_escalation(
    org_a, smtp_peer, sms_peer, push_peer, workers, report
):
    plans = _town(org_a, push_peer, owners=40, member_buddies=2)
    expected = set().union(*map(_buddies_of, plans))
    total = sum(1 for _plan, _recipient, channel in expected if channel != Channel.INAPP)
    for peer in (smtp_peer, sms_peer, push_peer):
        peer.delay = 0.02  # a few seconds for the whole escalation, so there is a middle to kill it in
    _lapse(plans, timezone.now())

    first = workers.start()
    pushes_left = outgoing().filter(channel=Channel.PUSH).exclude(status=Delivery.Status.SENT)
    workers.wait_for(
        "a quarter of the buddies' messages to be sent",
        lambda: _sent() >= total // 4 and pushes_left.exists(),
        timeout=90,
    )
    # Kill it in the worst place: a push message has reached the push service, its answer has not come back.
    push_peer.hold()
    workers.wait_for("a push message to be in flight", lambda: push_peer.held, timeout=30)
    workers.kill(first)
    push_peer.release()
    fired_at_kill = Step.objects.filter(kind=Step.Kind.BUDDIES).count()
    sent_at_kill = _sent()
    in_flight = outgoing().filter(status=Delivery.Status.SENDING).count()
    assert sent_at_kill < total
    assert 1 <= in_flight <= BATCH

    workers.start()
    workers.wait_for(
        "the next worker to finish the escalation",
        lambda: Step.objects.filter(kind=Step.Kind.BUDDIES).count() == len(plans) and _sent() == total,
        timeout=120,
    )

    assert _steps_per_plan(Step.Kind.BUDDIES) == dict.fromkeys((plan.pk for plan in plans), 1)
    assert set(Plan.objects.values_list("status", flat=True)) == {Plan.Status.ESCALATED}
    _assert_told_once(Topic.CHECKIN_ALERT, expected)
    repeats = _repeats_at_peers(smtp_peer, sms_peer, push_peer)
    # A message arrived twice only if it was in flight when the worker died; the one held at the push service
    # went again, as it must.
    assert repeats[Channel.PUSH] >= 1
    assert sum(repeats.values()) <= in_flight
    report(
        f"{len(plans)} plans, {total} outside messages + {len(expected) - total} inbox entries; killed with "
        f"{fired_at_kill} of {len(plans)} buddies steps fired, {sent_at_kill} sent and {in_flight} in flight; "
        f"raw repeats at the peers: { {str(c.value): n for c, n in repeats.items()} } (bound: {in_flight})"
    )


def test_two_workers_fire_each_step_of_each_plan_once(
    org_a, carol, dana, smtp_peer, sms_peer, push_peer, workers, report
):
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite takes one writer at a time (IMMEDIATE transactions), so two workers never overlap on a plan; "
            "the row locks that keep them apart are PostgreSQL's"
        )
    plans = _town(org_a, push_peer, owners=40)
    for process in (workers.start(), workers.start()):
        _ready(workers, process)

    # Each phase moves every plan's timer to now at once, so both workers find all of them due in the same
    # ticks: the end ("are you OK?"), the end of the grace period (buddies), the organisation's wait (staff).
    phases = [
        (Step.Kind.ASK, lambda now: {"ends_at": now, "next_step_at": now}),
        (Step.Kind.BUDDIES, lambda now: {"ends_at": now - GRACE, "next_step_at": now}),
        (Step.Kind.STAFF, lambda now: {"next_step_at": now}),
    ]
    timings = {}
    for kind, timers in phases:
        now = timezone.now()
        Plan.objects.update(**timers(now))
        workers.wait_for(
            f"every plan's {kind} step",
            lambda kind=kind: (
                Step.objects.filter(kind=kind).count() >= len(plans)
                and not Plan.objects.filter(next_step_at__lte=timezone.now()).exists()
            ),
            timeout=60,
        )
        last = max(Step.objects.filter(kind=kind).values_list("dispatch__created_at", flat=True))
        timings[str(kind)] = round((last - now).total_seconds(), 2)
    buddies = set().union(*map(_buddies_of, plans))
    total = sum(1 for _plan, _recipient, channel in buddies if channel != Channel.INAPP)
    workers.wait_for("every message to be sent", lambda: _sent() == total, timeout=60)

    for kind in (Step.Kind.ASK, Step.Kind.BUDDIES, Step.Kind.STAFF):
        assert _steps_per_plan(kind) == dict.fromkeys((plan.pk for plan in plans), 1), kind
    dispatches = Counter(Dispatch.objects.values_list("target_id", "topic"))
    for plan in plans:
        # The buddies and the staff each get an alert of their own.
        assert dispatches[plan.pk, Topic.CHECKIN_DUE] == 1
        assert dispatches[plan.pk, Topic.CHECKIN_ALERT] == 2
    _assert_told_once(Topic.CHECKIN_DUE, {(plan.pk, plan.membership_id, Channel.INAPP) for plan in plans})
    staff = {(plan.pk, member.pk, Channel.INAPP) for plan in plans for member in (carol, dana)}
    _assert_told_once(Topic.CHECKIN_ALERT, buddies | staff)
    assert _repeats_at_peers(smtp_peer, sms_peer, push_peer) == dict.fromkeys(OUTSIDE, 0)
    # The row locks kept the workers apart: neither had a step refused by the unique constraints.
    assert not any("could not move on" in path.read_text() for _process, _log, path in workers.processes)
    report(f"{len(plans)} plans, 2 workers; last step written, seconds after its due time: {timings}")


def test_a_worker_killed_half_way_through_a_step_leaves_none_of_it_and_the_next_fires_it_once(
    org_a, smtp_peer, sms_peer, push_peer, workers
):
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite takes its write lock as a transaction begins (IMMEDIATE), so nothing can hold a worker half-way "
            "through one; the SIGKILL test above kills workers on SQLite"
        )
    plans = _town(org_a, push_peer, owners=3)
    now = timezone.now()
    _lapse(plans[:1], now - timedelta(seconds=1))  # the first one a worker takes
    _lapse(plans[1:], now)
    with transaction.atomic():
        # The same step, not committed: the worker's own insert of it waits for this transaction, at the end of
        # its own, with the plan locked and its links, dispatch and deliveries written.
        Step.objects.create(plan=plans[0], kind=Step.Kind.BUDDIES, reason=Step.Reason.DUE)
        first = workers.start()
        workers.wait_for("the worker to be held half-way through a step", _waiting_on_a_lock, timeout=60)
        workers.kill(first)
        transaction.set_rollback(True)
    # Its database session, with nobody left to send COMMIT, rolls back.
    assert not Step.objects.exists()
    assert not Dispatch.objects.filter(topic=Topic.CHECKIN_ALERT).exists()
    assert not ContactLink.objects.exists()

    workers.start()
    workers.wait_for(
        "the next worker to fire every step",
        lambda: Step.objects.filter(kind=Step.Kind.BUDDIES).count() == len(plans) and _sent() == 3 * len(plans),
        timeout=60,
    )
    _assert_told_once(Topic.CHECKIN_ALERT, set().union(*map(_buddies_of, plans)))
    assert _repeats_at_peers(smtp_peer, sms_peer, push_peer) == dict.fromkeys(OUTSIDE, 0)
    assert ContactLink.objects.count() == 2 * len(plans)  # one per outside buddy, none left from the killed try
