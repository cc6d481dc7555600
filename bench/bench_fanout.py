"""Fan-out benchmark: one alert to many members, Web Push and in-app, through real worker processes.

Run: `.venv/bin/python bench/bench_fanout.py` (figures go in bench/README.md). It needs PostgreSQL on
postgres://postgres@127.0.0.1:5432/ (override with BENCH_POSTGRES_URL) and creates and drops its own
database `bench_fanout` there; `--scenarios sqlite:1` runs without it.

For each scenario (database and number of workers) a fresh database is migrated and filled with one
organisation and N members (unusable passwords, no Argon2), each with one push subscription whose endpoint
is on a local push receiver and Preference channels=["push"] (in-app is always on). Then, per round:

1. raw: pywebpush encrypting and VAPID-signing N payloads in this process, one core, nothing sent:
   `WebPusher(subscription).encode(payload)` (aes128gcm: ephemeral P-256 key, ECDH, HKDF, AES-GCM) plus
   `Vapid02.sign(claims)` (ES256 JWT) per message, i.e. what `pywebpush.webpush()` does before its POST.
   The encode-only rate is printed too: with the VAPID header cached it is the crypto floor per message.
2. fan-out: with `python -m sombrilla worker` processes already running, `services.dispatch_create()` inside
   `transaction.atomic()` (what publishing an alert does), then wait until every push Delivery is `sent`.
   Wall time runs from just before the transaction opens to max(sent_at); throughput = N / wall.

The receiver is a small asyncio HTTP/1.1 server in its own process (so it takes no GIL from anyone): it
answers 201, counts requests and repeats, and keeps the bodies; afterwards a sample is decrypted with the
subscriptions' private keys, as a browser would, and the VAPID tokens it saw are checked and counted.
"""

import argparse
import asyncio
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/").rstrip("/")
POSTGRES_DB = "bench_fanout"
SAMPLE = 200


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# --- the push receiver (its own process) -------------------------------------------------------------------


class _Receiver(asyncio.Protocol):
    """Just enough HTTP/1.1 for urllib3 with keep-alive: POST /push/... records, GET /_... reports."""

    state: dict = {}

    @classmethod
    def reset(cls) -> None:
        cls.state.update(requests=0, repeats=0, first=0.0, last=0.0, bodies={}, authorizations=set(), connections=0)

    def connection_made(self, transport):
        self.transport = transport
        self.buffer = bytearray()
        self.state["connections"] += 1

    def data_received(self, data):
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            method, target, _version = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                name, _sep, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", 0))
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            self.transport.write(self.respond(method, target, headers, body))

    def respond(self, method: str, target: str, headers: dict, body: bytes) -> bytes:
        state = self.state
        if method == "POST" and target.startswith("/push/"):
            now = time.time()
            state["requests"] += 1
            state["first"] = state["first"] or now
            state["last"] = now
            if target in state["bodies"]:
                state["repeats"] += 1
            state["bodies"][target] = (body, headers.get("topic", ""), headers.get("content-encoding", ""))
            state["authorizations"].add(headers.get("authorization", ""))
            return b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
        if target == "/_reset":
            self.reset()
            answer: object = {"ok": True}
        elif target == "/_stats":
            answer = {
                "requests": state["requests"],
                "connections": state["connections"],
                "repeats": state["repeats"],
                "distinct": len(state["bodies"]),
                "first": state["first"],
                "last": state["last"],
                "authorizations": sorted(state["authorizations"]),
            }
        elif target.startswith("/_sample"):
            paths = sorted(state["bodies"])
            step = max(1, len(paths) // SAMPLE)
            answer = {p: [_b64(state["bodies"][p][0]), *state["bodies"][p][1:]] for p in paths[::step][:SAMPLE]}
        else:
            return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        data = json.dumps(answer).encode()
        return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(data), data)


def run_receiver(protocol: type[_Receiver] = _Receiver) -> None:
    """Serve `protocol` on a free loopback port and print its URL, until the benchmark that started it ends."""

    async def serve():
        protocol.reset()
        server = await asyncio.get_running_loop().create_server(protocol, "127.0.0.1", 0, backlog=512)
        _out(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
        parent = os.getppid()
        while os.getppid() == parent:  # outlive the benchmark by a second at most, however it ends
            await asyncio.sleep(1)

    asyncio.run(serve())


def _ask(receiver: str, path: str) -> dict:
    with urllib.request.urlopen(receiver + path, timeout=30) as response:  # noqa: S310  our own loopback receiver
        return json.loads(response.read())


# --- one scenario (its own process: Django is configured once per process) ---------------------------------


def _django(env: dict) -> None:
    os.environ.update(env)
    import django

    django.setup()


def _populate(members: int, receiver: str) -> tuple:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from django.contrib.auth.hashers import make_password

    from sombrilla.accounts.models import Account, Membership, Organisation
    from sombrilla.core import clock, crypto
    from sombrilla.notify import channels
    from sombrilla.notify.models import Preference, PushSubscription

    organisation = Organisation.objects.create(slug="bench", name="Bench")
    joined = clock.now().date().replace(day=1)
    browsers, accounts, memberships, preferences, subscriptions = {}, [], [], [], []
    for i in range(members):
        pseudonym = f"member{i:05d}"
        account = Account(pseudonym=pseudonym, pseudonym_key=pseudonym, password=make_password(None))
        membership = Membership(account=account, organisation=organisation, joined_on=joined)
        key, auth = ec.generate_private_key(ec.SECP256R1()), os.urandom(16)
        p256dh = _b64(
            key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        )
        path = f"/push/{i:05d}-{_b64(os.urandom(12))}"
        endpoint = receiver + path
        channels.push_subscription_check(endpoint=endpoint, p256dh=p256dh, auth=_b64(auth))
        browsers[path] = (key, auth, {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": _b64(auth)}})
        accounts.append(account)
        memberships.append(membership)
        preferences.append(Preference(membership=membership, channels=["push"]))
        subscriptions.append(
            PushSubscription(
                membership=membership,
                endpoint_hash=crypto.identifier_hash("push-endpoint", endpoint),
                endpoint=endpoint,
                keys=json.dumps({"p256dh": p256dh, "auth": _b64(auth)}),
            )
        )
    for model, rows in ((Account, accounts), (Membership, memberships), (Preference, preferences)):
        model.objects.bulk_create(rows, batch_size=1000)
    PushSubscription.objects.bulk_create(subscriptions, batch_size=1000)
    return organisation, browsers


def _migrate() -> None:
    """The real migrations; while a change in progress has models ahead of them, the schema from the models."""
    from django.apps import apps
    from django.conf import settings
    from django.core.management import call_command

    try:
        call_command("makemigrations", "--check", "--dry-run", "-v", "0")
    except SystemExit:
        _out("  note: models are ahead of their migrations here; building the schema from the models")
        settings.MIGRATION_MODULES = {config.label: None for config in apps.get_app_configs()}
        call_command("migrate", "--run-syncdb", "--noinput", "-v", "0")
        return
    call_command("migrate", "--noinput", "-v", "0")


def _analyze() -> None:
    """Fresh planner statistics, and on PostgreSQL no dead rows left from the previous round."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _raw(browsers: dict, audience: str) -> tuple[float, float]:
    """Messages per second: (encode + VAPID sign, encode only), single-threaded, nothing sent."""
    from django.conf import settings
    from py_vapid import Vapid02
    from pywebpush import WebPusher

    vapid = Vapid02.from_raw(settings.VAPID_PRIVATE_KEY.encode())
    infos = [info for _key, _auth, info in browsers.values()]
    payload = json.dumps(
        {"title": "Sombrilla", "body": "New update from Sombrilla", "tag": "0" * 32, "url": "/inbox/"}
    ).encode()
    start = time.perf_counter()
    for info in infos:
        WebPusher(info).encode(payload)
        vapid.sign({"aud": audience, "exp": int(time.time()) + 12 * 3600, "sub": settings.VAPID_SUBJECT})
    signed = len(infos) / (time.perf_counter() - start)
    start = time.perf_counter()
    for info in infos:
        WebPusher(info).encode(payload)
    return signed, len(infos) / (time.perf_counter() - start)


def _start_workers(count: int, env: dict, logdir: Path) -> list:
    workers = []
    for i in range(count):
        log = logdir / f"worker{i}.log"
        handle = log.open("wb")
        process = subprocess.Popen(  # noqa: S603  our own worker command
            [sys.executable, "-m", "sombrilla", "worker"], cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
        )
        workers.append((process, log, handle))
    deadline = time.monotonic() + 60
    for process, log, _handle in workers:
        while "Starting worker" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
    return workers


def _stop_workers(workers: list) -> None:
    for process, _log, _handle in workers:
        process.terminate()
    for process, _log, handle in workers:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        handle.close()


def _queue_idle(timeout: float = 60) -> None:
    """Wait until no task is queued or running (the sweep may have enqueued spare ones), then tidy up."""
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + timeout
    while DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists():
        if time.monotonic() > deadline:
            raise SystemExit("tasks still queued after the fan-out")
        time.sleep(0.2)
    DBTaskResult.objects.all().delete()


def _verify_vapid(header: str, audience: str) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, utils
    from django.conf import settings
    from py_vapid import Vapid02

    params = dict(part.split("=", 1) for part in header.removeprefix("vapid ").split(","))
    head, claims, signature = params["t"].split(".")
    raw = _unb64(signature)
    public = Vapid02.from_raw(settings.VAPID_PRIVATE_KEY.encode()).public_key
    public.verify(
        utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
        f"{head}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )
    decoded = json.loads(_unb64(claims))
    if decoded["aud"] != audience or decoded["exp"] < time.time() + 3600:
        raise SystemExit(f"unexpected VAPID claims {decoded}")


def _check_sample(receiver: str, browsers: dict) -> int:
    import http_ece

    sample = _ask(receiver, "/_sample")
    for path, (body, topic, encoding) in sample.items():
        key, auth, _info = browsers[path]
        payload = json.loads(http_ece.decrypt(_unb64(body), private_key=key, auth_secret=auth, version="aes128gcm"))
        if encoding != "aes128gcm" or payload["tag"] != topic or not payload["title"] or not payload["body"]:
            raise SystemExit(f"unexpected push message {payload} {topic} {encoding}")
    return len(sample)


def wait_until_sent(receiver: str, deliveries, *, expected: int, arriving: int, timeout: float = 900) -> None:
    """Wait until `expected` of `deliveries` (a queryset) are sent; stop at once if any failed.

    The receiver is asked (free) until `arriving` distinct messages have reached it, the database only now and
    then: the poll must not take CPU from the workers. Times are read from the rows afterwards, not from here.
    """
    from django.db.models import Count, Q

    from sombrilla.notify.models import Delivery

    deadline = time.monotonic() + timeout
    polls = 0
    while True:
        time.sleep(0.25)
        polls += 1
        if _ask(receiver, "/_stats")["distinct"] < arriving and polls % 8:
            continue
        counts = deliveries.aggregate(
            sent=Count("id", filter=Q(status=Delivery.Status.SENT)),
            failed=Count("id", filter=~Q(last_error="") | Q(status__in=["dead", "undeliverable"])),
        )
        if counts["failed"]:
            errors = list(deliveries.exclude(last_error="").values_list("last_error", flat=True).distinct()[:5])
            raise SystemExit(f"{counts['failed']} deliveries failed: {errors}")
        if counts["sent"] == expected:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"only {counts['sent']} of {expected} sent after {timeout:.0f}s")


def _fanout(organisation, members: int, receiver: str, browsers: dict) -> dict:
    from django.db import transaction
    from django.db.models import Max

    from sombrilla.accounts.models import Membership
    from sombrilla.notify import services
    from sombrilla.notify.models import Channel, Delivery, Topic

    _ask(receiver, "/_reset")
    start = time.time()
    with transaction.atomic():
        dispatch = services.dispatch_create(
            organisation=organisation,
            topic=Topic.ALERT,
            target_id=uuid.uuid4(),
            url="/alerts/",
            recipients=Membership.objects.filter(organisation=organisation),
        )
    committed = time.time()
    push = Delivery.objects.filter(dispatch=dispatch, channel=Channel.PUSH)
    wait_until_sent(receiver, push, expected=members, arriving=members)
    last_sent = push.aggregate(last=Max("sent_at"))["last"].timestamp()
    inapp = Delivery.objects.filter(dispatch=dispatch, channel=Channel.INAPP, status=Delivery.Status.SENT).count()
    stats = _ask(receiver, "/_stats")
    if stats["distinct"] != members or inapp != members:
        raise SystemExit(f"receiver saw {stats['distinct']} subscriptions, {inapp} inbox entries; expected {members}")
    audience = receiver
    for header in stats["authorizations"]:
        _verify_vapid(header, audience)
    return {
        "publish": committed - start,
        "first": stats["first"] - start,
        "wall": last_sent - start,
        "throughput": members / (last_sent - start),
        "requests": stats["requests"],
        "repeats": stats["repeats"],
        "vapid_tokens": len(stats["authorizations"]),
        "decrypted": _check_sample(receiver, browsers),
    }


def prepare(name: str, database: str, receiver: str, env: dict, populate: Callable) -> tuple:
    """Configure Django for one scenario: a fresh var directory and VAPID key, push service hosts at `receiver`,
    `env` on top and, on PostgreSQL, the database `name`. Migrate, fill it with populate() and return
    (work directory, database version, set-up seconds, what populate returned)."""
    from sombrilla.core.crypto import new_vapid_key

    workdir = Path(tempfile.mkdtemp(prefix=f"sombrilla-{name}-"))
    env = {
        "SOMBRILLA_VAR_DIR": str(workdir / "var"),
        "VAPID_PRIVATE_KEY": os.environ.get("VAPID_PRIVATE_KEY") or new_vapid_key(),
        "PUSH_SERVICE_HOSTS": receiver,
        "LOG_LEVEL": "WARNING",
        **env,
    }
    if database == "postgres":
        env["DATABASE_URL"] = f"{POSTGRES_URL}/{name}"
    _django(env)
    from django.db import connection

    _migrate()
    started = time.perf_counter()
    populated = populate()
    _analyze()
    setup = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    else:
        version = f"SQLite {connection.Database.sqlite_version}"
    connection.close()
    return workdir, version, setup, populated


def run_scenario(database: str, workers: int, members: int, rounds: int, receiver: str) -> None:
    from django.conf import settings
    from django.db import connection

    workdir, version, setup, (organisation, browsers) = prepare(
        POSTGRES_DB, database, receiver, {"SCHEDULER_TICK_SECONDS": "1"}, lambda: _populate(members, receiver)
    )
    processes = _start_workers(workers, os.environ.copy(), workdir)
    results = []
    try:
        for _round in range(rounds):
            signed, encode_only = _raw(browsers, receiver)
            result = _fanout(organisation, members, receiver, browsers)
            result.update(raw_signed=signed, raw_encode=encode_only)
            results.append(result)
            _out(
                f"  {database} x{workers} round {_round + 1}: raw {signed:,.0f}/s (encode only {encode_only:,.0f}/s), "
                f"publish {result['publish']:.2f}s, first push {result['first']:.2f}s, last sent {result['wall']:.2f}s "
                f"= {result['throughput']:,.0f}/s, {result['vapid_tokens']} VAPID token(s), "
                f"{result['repeats']} repeats, {result['decrypted']} decrypted"
            )
            _queue_idle()
            from sombrilla.notify.models import Dispatch

            Dispatch.objects.all().delete()
            _analyze()
            connection.close()
    finally:
        _stop_workers(processes)
    summary = {
        "database": version,
        "workers": workers,
        "members": members,
        "setup": setup,
        "batch": settings.DELIVERY_BATCH,
        "concurrency": settings.PUSH_CONCURRENCY,
        "rounds": results,
    }
    _out("RESULT " + json.dumps(summary))


# --- the driver ---------------------------------------------------------------------------------------------


def _postgres(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as connection:
        connection.execute(sql)


def _table(summaries: list) -> None:
    med = statistics.median
    _out()
    _out("| database        | workers | publish | first push | last sent | fan-out /s | raw encrypt+sign /s | ratio |")
    _out("|-----------------|--------:|--------:|-----------:|----------:|-----------:|--------------------:|------:|")
    for s in summaries:
        rounds = s["rounds"]
        wall = med(r["wall"] for r in rounds)
        rate = med(r["throughput"] for r in rounds)
        raw = med(r["raw_signed"] for r in rounds)
        _out(
            f"| {s['database']:<15} | {s['workers']:>7} | {med(r['publish'] for r in rounds):6.2f}s "
            f"| {med(r['first'] for r in rounds):9.2f}s | {wall:8.2f}s | {rate:10,.0f} | {raw:19,.0f} "
            f"| {rate / raw:5.0%} |"
        )
    _out()
    encode = [r["raw_encode"] for s in summaries for r in s["rounds"]]
    tokens = sorted({r["vapid_tokens"] for s in summaries for r in s["rounds"]})
    _out(
        f"raw encode only (VAPID header cached): median {statistics.median(encode):,.0f}/s; "
        f"VAPID tokens per fan-out: {tokens} (one per worker process and push service)"
    )


def run_scenarios(script: str, database: str, scenarios: list[str], arguments: list[str], what: str) -> list:
    """Drive a benchmark: start `script --receiver` in its own process, then for each scenario
    `script --scenario S --receiver-url URL` plus `arguments` in its own process (on PostgreSQL, on a fresh
    database named `database`); echo their lines and return their RESULTs. `what` names what each set-up made.

    Every child runs in production mode (DEBUG off, nothing from an env file) with fresh keys.
    """
    from cryptography.fernet import Fernet

    os.environ.update(
        DJANGO_SETTINGS_MODULE="sombrilla.settings",
        SOMBRILLA_ENV_FILE=os.devnull,
        SOMBRILLA_DEMO="0",
        SECRET_KEY=_b64(os.urandom(40)),
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        IDENTIFIER_PEPPER=_b64(os.urandom(32)),
        PYTHONPATH=str(ROOT),
    )
    receiver_process = subprocess.Popen(  # noqa: S603  the benchmark script, as the receiver
        [sys.executable, script, "--receiver"], stdout=subprocess.PIPE, text=True
    )
    receiver = receiver_process.stdout.readline().strip()
    _out(f"receiver at {receiver}; {what}")
    summaries = []
    try:
        for scenario in scenarios:
            postgres = scenario.split(":")[0] == "postgres"
            if postgres:
                _postgres(f"DROP DATABASE IF EXISTS {database}")
                _postgres(f"CREATE DATABASE {database}")
            child = subprocess.Popen(  # noqa: S603  the benchmark script, one scenario
                [sys.executable, script, "--scenario", scenario, "--receiver-url", receiver, *arguments],
                stdout=subprocess.PIPE,
                text=True,
            )
            try:
                for line in child.stdout:
                    if line.startswith("RESULT "):
                        summaries.append(json.loads(line.removeprefix("RESULT ")))
                    else:
                        _out(line.rstrip("\n"))
            finally:
                child.wait()
                if postgres:
                    _postgres(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            if child.returncode:
                raise SystemExit(f"scenario {scenario} failed ({child.returncode})")
            _out(f"{scenario}: set-up took {summaries[-1]['setup']:.1f}s")
    finally:
        receiver_process.terminate()
        receiver_process.wait()
    return summaries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="fan-outs per scenario; the table shows medians")
    parser.add_argument("--scenarios", default="sqlite:1,postgres:1,postgres:2", help="database:workers,...")
    parser.add_argument("--receiver", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("--receiver-url", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.receiver:
        run_receiver()
        return
    if args.scenario:
        database, workers = args.scenario.split(":")
        run_scenario(database, int(workers), args.members, args.rounds, args.receiver_url)
        return

    summaries = run_scenarios(
        __file__,
        POSTGRES_DB,
        args.scenarios.split(","),
        ["--members", str(args.members), "--rounds", str(args.rounds)],
        f"{args.members:,} members, {args.rounds} round(s) per scenario",
    )
    _table(summaries)


if __name__ == "__main__":
    main()
