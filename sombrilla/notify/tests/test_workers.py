"""Real worker processes against real peers: a worker killed in the middle of a fan-out, an SMTP server that
is down and comes back, work dispatched while no worker ran, and two workers sharing one fan-out.

Each test starts `python -m sombrilla worker` as its own OS process, on the test database (and on the test
Redis when REDIS_URL is set, which moves the queue to RQ), with the SMTP server, SMS gateway and push service
running in this process. A worker only sees committed rows, so these tests use a transactional database.
Select them with `-m workers`, leave them out with `-m "not workers"`. Every wait is a bounded poll.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from sombrilla.notify.models import Channel, Delivery
from sombrilla.notify.tests.conftest import SITE_URL, VAPID_PRIVATE_KEY
from sombrilla.notify.tests.factories import (
    dispatch,
    outgoing,
    process_alive,
    push_senders,
    quick_member,
    reachable,
)

pytestmark = [pytest.mark.workers, pytest.mark.timeout(300), pytest.mark.django_db(transaction=True)]

PROJECT_DIR = Path(__file__).resolve().parents[3]
LEASE_SECONDS = 3
BATCH = 5
RETRY_SECONDS = 1
OUTSIDE = (Channel.PUSH, Channel.EMAIL, Channel.SMS)


def _database_url() -> str:
    """The database this test runs on (the test database, not the one its settings name)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return "sqlite:///" + str(Path(db["NAME"]).resolve())
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    """Worker processes started by one test; every one is stopped when the test ends, whatever happened."""

    def __init__(self, env: dict, log_dir: Path):
        self.env, self.log_dir = env, log_dir
        self.processes: list[tuple[subprocess.Popen, object, Path]] = []

    def start(self) -> subprocess.Popen:
        path = self.log_dir / f"worker-{len(self.processes)}.log"
        log = path.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "sombrilla", "worker"],
            env=self.env,
            cwd=PROJECT_DIR,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append((process, log, path))
        return process

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL: no handler runs, no lease is given back, the task in hand is lost."""
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process, _log, _path in self.processes:
            if process.poll() is None:
                process.terminate()
        for process, log, _path in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            log.close()

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name} (exit {process.poll()}) ---\n" + path.read_text(errors="replace")[-3000:]
            for process, _log, path in self.processes
        )

    def wait_for(self, what: str, condition: Callable, *, timeout: float, running: bool = True):
        """Poll `condition` every 50 ms until it returns something true; fail after `timeout` seconds, or at
        once if a worker that should be running has exited."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if running:
                exited = [p for p, _log, _path in self.processes if p.returncode is None and p.poll() is not None]
                if exited:
                    pytest.fail(f"a worker exited while waiting for {what}:\n{self.logs()}")
            if time.monotonic() > deadline:
                pytest.fail(f"gave up after {timeout}s waiting for {what}; {_statuses()}\n{self.logs()}")
            time.sleep(0.05)


def _statuses() -> dict:
    return dict(Counter(outgoing().values_list("status", flat=True)))


def _sent() -> int:
    return outgoing().filter(status=Delivery.Status.SENT).count()


def _queued_tasks() -> int:
    if settings.REDIS_URL:
        import redis

        return redis.Redis.from_url(settings.REDIS_URL).llen("rq:queue:default")
    return DBTaskResult.objects.ready().count()


def _drop_queued_tasks() -> None:
    """What a crashed Redis or a purged queue does: every task waiting in the queue is gone."""
    if settings.REDIS_URL:
        import redis

        redis.Redis.from_url(settings.REDIS_URL).flushdb()
    DBTaskResult.objects.all().delete()


@pytest.fixture
def workers(tmp_path, smtp_peer, sms_peer, push_peer):
    """Start workers configured exactly like this test process, on its database, queue and peers."""
    _drop_queued_tasks()  # nothing left over from an earlier test on this Redis database
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SMS_GATEWAY", "TWILIO_", "EMAIL_", "DELIVERY_", "VAPID_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="sombrilla.settings",
        DATABASE_URL=_database_url(),
        SITE_URL=SITE_URL,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_peer.port),
        EMAIL_USE_TLS="false",
        EMAIL_USE_SSL="false",
        EMAIL_TIMEOUT="5",
        SMS_GATEWAY="http",
        SMS_GATEWAY_URL=f"{sms_peer.url}/send",
        PUSH_SERVICE_HOSTS=push_peer.url,
        VAPID_PRIVATE_KEY=VAPID_PRIVATE_KEY,
        DELIVERY_LEASE_SECONDS=str(LEASE_SECONDS),
        DELIVERY_RETRY_SECONDS=str(RETRY_SECONDS),
        DELIVERY_BATCH=str(BATCH),
        DELIVERY_MAX_ATTEMPTS="10",
        SCHEDULER_TICK_SECONDS="1",
        PUSH_CONCURRENCY="2",
        PYTHONUNBUFFERED="1",
    )
    pool = Workers(env, tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture
def report(request, record_property):
    """Show a measured figure in the terminal, even under -q (and keep it in a JUnit report's properties)."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")

    def write(line: str) -> None:
        record_property("figures", line)
        if reporter is not None and capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(f"\n[{request.node.name}] {line}")

    return write


def _crowd(organisation, push_peer, n: int, *, push=True, email=True, sms=True) -> list:
    return [
        reachable(
            quick_member(organisation, f"member{i:03d}"),
            push=push_peer if push else None,
            email=f"member{i:03d}@example.org" if email else None,
            phone=f"+25471{i:07d}" if sms else None,
        )
        for i in range(n)
    ]


def _received(smtp_peer, sms_peer, push_peer) -> dict[str, Counter]:
    """Each channel's idempotency keys as the receiving side saw them, with how often each arrived."""
    domain = SITE_URL.split("://")[1]
    return {
        Channel.PUSH: push_peer.keys("Topic"),
        Channel.SMS: sms_peer.keys("Idempotency-Key"),
        Channel.EMAIL: Counter(
            {key.removeprefix("<").removesuffix(f"@{domain}>"): n for key, n in smtp_peer.keys().items()}
        ),
    }


def _expected_keys(channel: str) -> set[str]:
    keys = set(outgoing().filter(channel=channel).values_list("idempotency_key", flat=True))
    # The push Topic header holds at most 32 characters.
    return {key[:32] for key in keys} if channel == Channel.PUSH else keys


def _assert_exactly_one_row_per_recipient_and_channel(recipients: int) -> None:
    per_pair = Delivery.objects.values("membership_id", "channel").annotate(n=Count("id"))
    assert {row["n"] for row in per_pair} == {1}
    per_channel = Counter(row["channel"] for row in per_pair)
    assert per_channel == {channel: recipients for channel in (Channel.INAPP, *OUTSIDE)}
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_it_finishes_a_fan_out_after_its_worker_is_killed_without_losing_a_message(
    org_a, smtp_peer, sms_peer, push_peer, workers, report
):
    recipients = 40
    for peer in (smtp_peer, sms_peer, push_peer):
        peer.delay = 0.02  # a few seconds for the whole fan-out, so there is a middle to kill it in
    _crowd(org_a, push_peer, recipients)
    dispatch(org_a, *org_a.memberships.filter(account__pseudonym__startswith="member"))
    total = outgoing().count()
    assert total == 3 * recipients

    first = workers.start()
    pushes_left = outgoing().filter(channel=Channel.PUSH).exclude(status=Delivery.Status.SENT)
    workers.wait_for(
        "a quarter of the fan-out to be sent", lambda: _sent() >= total // 4 and pushes_left.exists(), timeout=90
    )
    # Kill it in the worst place: a push message has reached the push service, its answer has not come back.
    push_peer.hold()
    workers.wait_for("a push message to be in flight", lambda: push_peer.held, timeout=30)
    [sender] = push_senders(first.pid)
    workers.kill(first)
    # Its push sender, in the middle of a request, does not outlive it.
    workers.wait_for("the push sender to stop", lambda: not process_alive(sender), timeout=5, running=False)
    push_peer.release()
    in_flight = outgoing().filter(status=Delivery.Status.SENDING).count()
    sent_at_kill = _sent()
    assert sent_at_kill < total
    assert 1 <= in_flight <= BATCH

    workers.start()
    workers.wait_for("the next worker to send the rest", lambda: _sent() == total, timeout=120)

    received = _received(smtp_peer, sms_peer, push_peer)
    repeats = {}
    for channel in OUTSIDE:
        # Every recipient's key arrived (a receiver that drops repeats has exactly one of each) ...
        assert set(received[channel]) == _expected_keys(channel), channel
        assert len(received[channel]) == recipients
        # ... and a key arrived twice only if its message was in flight when the worker died.
        repeats[channel] = sum(received[channel].values()) - recipients
        assert repeats[channel] <= BATCH, channel
    assert repeats[Channel.PUSH] >= 1  # the message held at the push service went again, as it must
    assert sum(repeats.values()) <= in_flight
    _assert_exactly_one_row_per_recipient_and_channel(recipients)
    report(
        f"{total} deliveries; killed with {sent_at_kill} sent and {in_flight} in flight; raw repeats at the "
        f"receivers: { {str(c.value): n for c, n in repeats.items()} } (bound: {in_flight} in flight, batch {BATCH})"
    )


def test_it_backs_off_while_the_smtp_server_is_down_and_delivers_once_it_is_back(
    org_a, smtp_peer, sms_peer, push_peer, workers
):
    recipients = 3
    _crowd(org_a, push_peer, recipients, push=False, sms=False)
    port = smtp_peer.port
    smtp_peer.stop()
    dispatch(org_a, *org_a.memberships.filter(account__pseudonym__startswith="member"))
    workers.start()

    def retrying():
        now = timezone.now()
        rows = list(outgoing())
        waiting = all(r.status == Delivery.Status.PENDING and r.attempts >= 2 and r.next_attempt_at > now for r in rows)
        return (rows, now) if waiting else None

    rows, now = workers.wait_for("a second failed attempt with a retry ahead", retrying, timeout=60)
    for row in rows:
        assert row.last_error == "smtp: ConnectionRefusedError"
        # Exponential: the wait after attempt n is RETRY_SECONDS * 2^(n-1), counted from that attempt.
        assert row.next_attempt_at - now <= timedelta(seconds=RETRY_SECONDS * 2 ** (row.attempts - 1) + 1)
    assert smtp_peer.messages == []

    smtp_peer.start()
    assert smtp_peer.port == port
    workers.wait_for("delivery once the SMTP server is back", lambda: _sent() == recipients, timeout=90)
    received = _received(smtp_peer, sms_peer, push_peer)[Channel.EMAIL]
    assert set(received) == _expected_keys(Channel.EMAIL)
    assert sum(received.values()) == recipients  # nothing twice
    assert min(outgoing().values_list("attempts", flat=True)) >= 3


def test_it_delivers_what_was_dispatched_while_no_worker_ran_even_if_its_task_was_lost(
    org_a, smtp_peer, sms_peer, push_peer, workers
):
    recipients = 3
    _crowd(org_a, push_peer, recipients)
    dispatch(org_a, *org_a.memberships.filter(account__pseudonym__startswith="member"))
    assert _queued_tasks() >= 1  # the send task was enqueued after the commit ...
    _drop_queued_tasks()  # ... and is lost before any worker took it
    assert _queued_tasks() == 0
    assert _statuses() == {Delivery.Status.PENDING: 3 * recipients}
    assert (smtp_peer.messages, sms_peer.received(), push_peer.received()) == ([], [], [])

    workers.start()  # only the scheduler's sweep can find the work now
    workers.wait_for("the sweep to deliver", lambda: _sent() == 3 * recipients, timeout=60)
    received = _received(smtp_peer, sms_peer, push_peer)
    for channel in OUTSIDE:
        assert set(received[channel]) == _expected_keys(channel)
        assert sum(received[channel].values()) == recipients
    _assert_exactly_one_row_per_recipient_and_channel(recipients)


def test_it_shares_a_fan_out_between_two_workers_without_sending_anything_twice(
    org_a, smtp_peer, sms_peer, push_peer, workers
):
    recipients = 30
    for peer in (smtp_peer, sms_peer, push_peer):
        peer.delay = 0.02
    _crowd(org_a, push_peer, recipients)
    dispatch(org_a, *org_a.memberships.filter(account__pseudonym__startswith="member"))
    workers.start()
    workers.start()
    workers.wait_for("two workers to send everything", lambda: _sent() == 3 * recipients, timeout=120)
    received = _received(smtp_peer, sms_peer, push_peer)
    for channel in OUTSIDE:
        assert set(received[channel]) == _expected_keys(channel)
        assert sum(received[channel].values()) == recipients, f"{channel} sent twice"
    _assert_exactly_one_row_per_recipient_and_channel(recipients)
