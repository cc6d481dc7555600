"""Check-in escalation benchmark: 10,000 active plans, 1,000 of them due at once, one real worker.

Run: `.venv/bin/python bench/bench_checkins.py` (figures go in bench/README.md). It needs PostgreSQL on
postgres://postgres@127.0.0.1:5432/ (override with BENCH_POSTGRES_URL) and creates and drops its own
database `bench_checkins` there; `--scenarios sqlite` runs without it.

For each database a fresh one is migrated and filled with one organisation of N members, each with one open
plan and two buddies: the next member (in the inbox, and by Web Push to a subscription on the local
receiver) and an outside contact reached by SMS through the local receiver as an HTTP gateway. The plans end
over the next hours. Then, per round, with one `python -m sombrilla worker` running (the default scheduler
tick, 5 s): one UPDATE moves every tenth plan's end + grace to the same instant a few seconds ahead, as if
those meetings had ended and their members stayed silent, and the benchmark waits until every buddy of those
plans is told. Measured from the due time: the last buddies step written (its dispatch's created_at: a
step's fired_at is the start of the tick that fired it) and the last first-level notification recorded sent
(max Delivery.sent_at of those steps' dispatches: inbox, push and SMS), and the median per plan of the latter.
After each round the plans that fired are made active again, hours ahead, and their messages deleted.

The receiver is bench_fanout's asyncio HTTP server in its own process (so it takes no GIL from the worker),
here counting every message by its idempotency key, push and SMS alike. Database set-up, the worker
processes and the receiver's HTTP parsing come from bench_fanout.
"""

import argparse
import json
import os
import statistics
from collections import Counter
from datetime import timedelta

import bench_fanout
from bench_fanout import _analyze, _ask, _out, _start_workers, _stop_workers

POSTGRES_DB = "bench_checkins"
SITE_URL = "https://sombrilla.example.org"
# The due plans' end + grace lands this far after the UPDATE that sets it: the worker is idle when it comes.
LEAD_SECONDS = 3


class _Gateway(bench_fanout._Receiver):
    """Push service and SMS gateway in one: answers at once, counts each message by its idempotency key (the
    push Topic header, the gateway's Idempotency-Key), and reports on GET /_stats."""

    state: dict = {}

    @classmethod
    def reset(cls) -> None:
        cls.state.update(keys=Counter(), push=0, sms=0, connections=0)

    def respond(self, method: str, target: str, headers: dict, body: bytes) -> bytes:
        state = self.state
        if method == "POST":
            state["push" if target.startswith("/push/") else "sms"] += 1
            state["keys"][headers.get("topic") or headers.get("idempotency-key")] += 1
            return b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
        if target == "/_reset":
            self.reset()
        keys = state["keys"]
        answer = {
            "push": state["push"],
            "sms": state["sms"],
            "distinct": len(keys),
            "repeats": keys.total() - len(keys),
        }
        data = json.dumps(answer).encode()
        return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(data), data)


# --- one scenario (its own process: Django is configured once per process) ---------------------------------


def _populate(members: int, receiver: str) -> None:
    """bench_fanout's members (each with a push subscription on the receiver), then a plan and two buddies
    each, written in bulk: the services would take minutes for 10,000 members and are not what is measured."""
    from sombrilla.accounts.models import Membership
    from sombrilla.checkins.models import Buddy, Plan
    from sombrilla.core import clock
    from sombrilla.notify.channels import normalise_destination

    organisation, _browsers = bench_fanout._populate(members, receiver)
    owners = list(Membership.objects.filter(organisation=organisation).order_by("account__pseudonym"))
    now = clock.now()
    buddies, plans = [], []
    for i, owner in enumerate(owners):
        phone = f"+2547{i:08d}"
        if normalise_destination("sms", phone, "") != phone:
            raise SystemExit(f"{phone} is not a number the SMS channel accepts")
        buddies += [
            Buddy(
                membership=owner,
                kind=Buddy.Kind.MEMBER,
                buddy=owners[(i + 1) % len(owners)],
                name="Buddy",
                status=Buddy.Status.ACCEPTED,
                answered_at=now,
            ),
            Buddy(
                membership=owner,
                kind=Buddy.Kind.SMS,
                contact=phone,
                name="Sis",
                known_as="Rosa",
                language="en",
                status=Buddy.Status.ACCEPTED,
                answered_at=now,
            ),
        ]
        ends = now + timedelta(minutes=30 + i % 600)
        plans.append(
            Plan(
                organisation=organisation,
                membership=owner,
                starts_at=now,
                ends_at=ends,
                place=f"Hotel Azul, room {i % 300}",
                note="Regular, said he would pay by card",
                next_step_at=ends,
            )
        )
    Buddy.objects.bulk_create(buddies, batch_size=1000)
    Plan.objects.bulk_create(plans, batch_size=1000)


def _round(ids: list, receiver: str) -> dict:
    """Make the plans `ids` due at one instant and wait until all their buddies are told."""
    from django.db.models import Max, Min

    from sombrilla.checkins.models import Plan, Step
    from sombrilla.core import clock
    from sombrilla.notify.models import Delivery, Dispatch

    _ask(receiver, "/_reset")
    due = clock.now() + timedelta(seconds=LEAD_SECONDS)
    # As if the meeting had ended and the member had been asked (the "are you OK?" step is not measured).
    Plan.objects.filter(pk__in=ids).update(ends_at=due - timedelta(minutes=15), grace_minutes=15, next_step_at=due)
    steps = Step.objects.filter(kind=Step.Kind.BUDDIES, plan_id__in=ids)
    told = Delivery.objects.filter(dispatch_id__in=steps.values("dispatch_id"))
    bench_fanout.wait_until_sent(receiver, told, expected=3 * len(ids), arriving=2 * len(ids), timeout=600)
    # A step's fired_at is its tick's start; its dispatch was written with it, in its own transaction.
    fired = Dispatch.objects.filter(pk__in=steps.values("dispatch_id")).aggregate(
        first=Min("created_at"), last=Max("created_at")
    )
    per_plan = told.values("dispatch_id").annotate(last=Max("sent_at")).values_list("last", flat=True)
    stats = _ask(receiver, "/_stats")
    if stats["distinct"] != 2 * len(ids) or min(stats["push"], stats["sms"]) < len(ids):
        raise SystemExit(f"the receiver saw {stats}; expected {len(ids)} push and {len(ids)} SMS")
    if Step.objects.exclude(plan_id__in=ids).exists():
        raise SystemExit("a plan that was not due fired")
    return {
        "due": len(ids),
        "first_step": (fired["first"] - due).total_seconds(),
        "last_step": (fired["last"] - due).total_seconds(),
        "last_sent": (max(per_plan) - due).total_seconds(),
        "median_plan": statistics.median((last - due).total_seconds() for last in per_plan),
        "messages": stats["push"] + stats["sms"],
        "repeats": stats["repeats"],
    }


def _reset(ids: list) -> None:
    """The plans `ids` active again with their timers hours ahead, and nothing sent: the next round starts as
    this one did."""
    from sombrilla.checkins.models import ContactLink, Plan, Step
    from sombrilla.core import clock
    from sombrilla.notify.models import Dispatch

    bench_fanout._queue_idle()
    Step.objects.all().delete()
    ContactLink.objects.all().delete()
    Dispatch.objects.all().delete()
    later = clock.now() + timedelta(hours=2)
    Plan.objects.filter(pk__in=ids).update(status=Plan.Status.ACTIVE, ends_at=later, next_step_at=later)
    _analyze()


def run_scenario(database: str, members: int, due_every: int, rounds: int, receiver: str) -> None:
    from django.conf import settings
    from django.db import connection

    sms = {"SITE_URL": SITE_URL, "SMS_GATEWAY": "http", "SMS_GATEWAY_URL": f"{receiver}/sms"}
    workdir, version, setup, _nothing = bench_fanout.prepare(
        POSTGRES_DB, database, receiver, sms, lambda: _populate(members, receiver)
    )
    from sombrilla.checkins.models import Plan

    ids = list(Plan.objects.order_by("membership__account__pseudonym").values_list("pk", flat=True)[::due_every])
    connection.close()
    processes = _start_workers(1, os.environ.copy(), workdir)
    results = []
    try:
        for number in range(rounds):
            result = _round(ids, receiver)
            results.append(result)
            _out(
                f"  {database} round {number + 1}: {result['due']} due; buddies steps {result['first_step']:.2f}s to "
                f"{result['last_step']:.2f}s after the due time; last notification sent {result['last_sent']:.2f}s "
                f"(median plan {result['median_plan']:.2f}s); {result['messages']} messages, "
                f"{result['repeats']} repeats"
            )
            _reset(ids)
            connection.close()
    finally:
        _stop_workers(processes)
    summary = {"database": version, "members": members, "setup": setup, "rounds": results}
    summary.update(tick=settings.SCHEDULER_TICK_SECONDS, batch=settings.DELIVERY_BATCH)
    _out("RESULT " + json.dumps(summary))


# --- the driver ---------------------------------------------------------------------------------------------


def _table(summaries: list) -> None:
    _out()
    _out("| database      | plans  | due   | round | last buddies step | last notification sent | median plan told |")
    _out("|---------------|-------:|------:|------:|------------------:|-----------------------:|-----------------:|")
    for s in summaries:
        for number, r in enumerate(s["rounds"], 1):
            _out(
                f"| {s['database']:<13} | {s['members']:>6,} | {r['due']:>5,} | {number:>5} | {r['last_step']:16.1f}s "
                f"| {r['last_sent']:21.1f}s | {r['median_plan']:15.1f}s |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plans", type=int, default=10_000, help="members, each with one open plan")
    parser.add_argument("--due-every", type=int, default=10, help="every N-th plan falls due (10: 1,000 of 10,000)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--scenarios", default="sqlite,postgres")
    parser.add_argument("--receiver", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("--receiver-url", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.receiver:
        bench_fanout.run_receiver(_Gateway)
        return
    if args.scenario:
        run_scenario(args.scenario, args.plans, args.due_every, args.rounds, args.receiver_url)
        return

    summaries = bench_fanout.run_scenarios(
        __file__,
        POSTGRES_DB,
        args.scenarios.split(","),
        ["--plans", str(args.plans), "--due-every", str(args.due_every), "--rounds", str(args.rounds)],
        f"{args.plans:,} plans, every {args.due_every}th due, {args.rounds} round(s) per database",
    )
    _table(summaries)


if __name__ == "__main__":
    main()
