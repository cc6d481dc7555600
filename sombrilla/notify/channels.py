"""How a delivery leaves the site: Web Push, email over SMTP, SMS through an HTTP gateway.

Text that can show on a lock screen is discreet by default ("New update from <site>"); details are only
inside the app after login. An outside contact (no login) gets the text its sender wrote, as it is. Nothing
here logs a destination or a message body.
"""

import atexit
import base64
import concurrent.futures
import json
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import phonenumbers
import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.utils import translation
from django.utils.translation import gettext as _
from py_vapid import Vapid02
from pywebpush import WebPusher, WebPushException

from sombrilla.notify import pushsender
from sombrilla.notify.models import Channel, Contact, Topic

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    gone: bool = False  # the destination no longer exists: do not try again
    error: str = ""


SENT = Outcome(ok=True)

# SMS gateways are called through this pool (push has its own process, see _PushSender): connections are kept
# alive.
_http = urllib3.PoolManager(num_pools=32, maxsize=settings.PUSH_CONCURRENCY, retries=False)
_TIMEOUT = urllib3.Timeout(connect=5, read=15)


def configured(channel: str) -> bool:
    if channel == Channel.PUSH:
        return bool(settings.VAPID_PRIVATE_KEY)
    if channel == Channel.EMAIL:
        return bool(settings.EMAIL_HOST) or settings.DEMO
    if channel == Channel.SMS:
        return bool(settings.SMS_GATEWAY)
    return channel == Channel.INAPP


def normalise_destination(channel: str, value: str, default_country: str) -> str | None:
    """An email lower-cased, a phone number in E.164; None when it is not one."""
    if channel == Channel.EMAIL:
        value = value.strip().lower()
        try:
            validate_email(value)
        except ValidationError:
            return None
        return value
    try:
        number = phonenumbers.parse(value, (default_country or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def push_subscription_check(*, endpoint: str, p256dh: str, auth: str) -> None:
    """Refuse what no browser would send: a non-HTTPS endpoint or keys of the wrong shape."""
    from sombrilla.notify.services import NotifyError

    try:
        key, secret = _b64decode(p256dh), _b64decode(auth)
    except (ValueError, TypeError):
        key = secret = b""
    if not push_service_allowed(endpoint) or len(key) != 65 or key[0] != 4 or len(secret) != 16:
        raise NotifyError(_("This browser's push subscription could not be used."))


def push_service_allowed(endpoint: str) -> bool:
    """Only the browsers' push services: the endpoint is a URL a member supplies and the worker will POST to,
    so anything else (an internal address, say) is refused. An entry with a scheme allows exactly that origin."""
    parts = urlsplit(endpoint)
    if not parts.hostname or len(endpoint) > 1000:
        return False
    for entry in settings.PUSH_SERVICE_HOSTS:
        if "://" in entry:
            if f"{parts.scheme}://{parts.netloc}" == entry.rstrip("/"):
                return True
        elif parts.scheme == "https" and (parts.hostname == entry or parts.hostname.endswith("." + entry)):
            return True
    return False


def vapid_public_key() -> str:
    """The application server key browsers subscribe with (base64url, uncompressed P-256 point)."""
    from cryptography.hazmat.primitives import serialization

    raw = _vapid().public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


_vapid_lock = threading.Lock()
_vapid_cache: dict = {}


def _vapid() -> Vapid02:
    key = settings.VAPID_PRIVATE_KEY
    if _vapid_cache.get("key") != key:
        _vapid_cache.clear()
        _vapid_cache.update(key=key, vapid=Vapid02.from_raw(key.encode()))
    return _vapid_cache["vapid"]


def _vapid_header(audience: str) -> str:
    """One signed VAPID token per push service, reused until an hour before it expires (RFC 8292 allows 24h)."""
    now = int(time.time())
    with _vapid_lock:
        cached = _vapid_cache.get(("aud", audience))
        if cached and cached[0] - 3600 > now:
            return cached[1]
        expires = now + 12 * 3600
        header = _vapid().sign({"aud": audience, "exp": expires, "sub": settings.VAPID_SUBJECT})["Authorization"]
        _vapid_cache[("aud", audience)] = (expires, header)
        return header


class _Texts:
    """(title, body) of each delivery in a batch, in its recipient's language: discreet unless the member chose
    details. Members share a handful of (language, discretion) pairs, so each is translated once per batch.
    An outside contact's delivery carries its own text, written by the sender."""

    def __init__(self):
        self.translated: dict = {}

    def __call__(self, delivery) -> tuple[str, str]:
        if delivery.destination:
            return settings.SITE_NAME, delivery.message
        language = delivery.recipient_language or settings.LANGUAGE_CODE
        # Without a Preference row a member gets the default: discreet.
        discreet = delivery.recipient_discreet is not False
        key = (language, discreet, delivery.topic)
        if key not in self.translated:
            with translation.override(language):
                title = settings.SITE_NAME
                if discreet:
                    body = _("New update from %(site)s") % {"site": settings.SITE_NAME}
                else:
                    body = str(Topic(delivery.topic).label)
            self.translated[key] = (title, body)
        return self.translated[key]


def _inbox_url() -> str:
    from django.urls import reverse

    return settings.SITE_URL + reverse("notify:inbox")


def _push_prepare(delivery, texts: _Texts, authorization: dict):
    """Everything but the POST: (endpoint, encrypted body, headers), or the Outcome that makes sending moot.
    The keys that encrypt a message never leave this process."""
    if delivery.endpoint is None:
        return Outcome(ok=False, gone=True, error="subscription removed")
    title, body = texts(delivery)
    payload = json.dumps({"title": title, "body": body, "tag": delivery.idempotency_key[:32], "url": "/inbox/"})
    try:
        keys = json.loads(delivery.keys)
        encrypted = WebPusher({"endpoint": delivery.endpoint, "keys": keys}).encode(payload.encode())["body"]
    except (WebPushException, ValueError, TypeError, KeyError) as exc:
        return Outcome(ok=False, gone=True, error=f"push keys: {type(exc).__name__}")
    parts = urlsplit(delivery.endpoint)
    audience = f"{parts.scheme}://{parts.netloc}"
    if audience not in authorization:
        authorization[audience] = _vapid_header(audience)
    headers = {
        "Authorization": authorization[audience],
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(24 * 3600),
        "Urgency": "high" if delivery.urgent else "normal",
        # A push service replaces an undelivered message with the same topic: a resend cannot show twice.
        "Topic": delivery.idempotency_key[:32],
    }
    return delivery.endpoint, encrypted, headers


class _PushSender:
    """This process's push sender (see pushsender): started on first use, and again if it dies or this process
    is a fork of the one that started it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pid: int | None = None
        self.pool: concurrent.futures.ProcessPoolExecutor | None = None

    def submit(self, messages: list) -> concurrent.futures.Future:
        """Start POSTing (endpoint, body, headers) messages; the future gives each one's HTTP status or the name
        of the exception that stopped it, or raises BrokenProcessPool if the sender died on the way."""
        with self.lock:
            for _attempt in range(2):
                if self.pool is None or self.pid != os.getpid():
                    self.pid = os.getpid()
                    self.pool = concurrent.futures.ProcessPoolExecutor(
                        max_workers=1,
                        # A fresh interpreter: a fork would copy this process's database connections and threads.
                        mp_context=multiprocessing.get_context("spawn"),
                        initializer=pushsender.start,
                    )
                try:
                    return self.pool.submit(pushsender.post_all, messages, settings.PUSH_CONCURRENCY)
                except BrokenProcessPool:
                    self.pool = None
            raise BrokenProcessPool("the push sender does not start")

    def close(self) -> None:
        if self.pool is not None and self.pid == os.getpid():
            self.pool.shutdown(wait=False, cancel_futures=True)


_push_sender = _PushSender()
atexit.register(_push_sender.close)


def _send_push(deliveries) -> Callable[[], list]:
    """Encrypt in this process and hand the whole batch to the push sender, which POSTs it while this process
    claims and encrypts the next. Returns at once with a callable that waits for every answer and gives
    (delivery, Outcome) for each."""
    texts = _Texts()
    authorization: dict = {}
    results, outgoing, messages = [], [], []
    for delivery in deliveries:
        prepared = _push_prepare(delivery, texts, authorization)
        if isinstance(prepared, Outcome):
            results.append((delivery, prepared))
            continue
        outgoing.append(delivery)
        messages.append(prepared)
    sending = _push_sender.submit(messages) if messages else None

    def answers() -> list:
        if sending is None:
            return results
        try:
            statuses = sending.result()
        except BrokenProcessPool:
            # Whether these went is unknown: they are tried again, and a push service drops a repeat by Topic.
            statuses = ["SenderStopped"] * len(outgoing)
        for delivery, status in zip(outgoing, statuses, strict=True):
            if isinstance(status, str):
                results.append((delivery, Outcome(ok=False, error=f"push: {status}")))
            elif 200 <= status < 300:
                results.append((delivery, SENT))
            else:
                # 404/410: the browser unsubscribed or the subscription expired.
                results.append((delivery, Outcome(ok=False, gone=status in (404, 410), error=f"push: HTTP {status}")))
        return results

    return answers


def _send_email(deliveries) -> list:
    contacts = _contacts(deliveries, Channel.EMAIL)
    texts = _Texts()
    domain = urlsplit(settings.SITE_URL).hostname or "sombrilla.invalid"
    results = []
    try:
        connection = get_connection(fail_silently=False)
        connection.open()
    except OSError as exc:
        return [(d, Outcome(ok=False, error=f"smtp: {type(exc).__name__}")) for d in deliveries]
    try:
        for delivery in deliveries:
            to = _destination(delivery, contacts)
            if not to:
                results.append((delivery, Outcome(ok=False, gone=True, error="no email destination")))
                continue
            title, body = texts(delivery)
            if delivery.destination:
                # An outside contact has no inbox to be sent to: the message is all they get.
                subject, text = title, body
            else:
                subject, text = body, f"{body}\n\n{_inbox_url()}\n"
            message = EmailMessage(
                subject=subject,
                body=text,
                to=[to],
                connection=connection,
                # The same on every attempt (make_msgid would add a timestamp and a random number), so a
                # receiver can drop a resend after a crash between sending and recording.
                headers={"Message-ID": f"<{delivery.idempotency_key}@{domain}>"},
            )
            try:
                message.send()
                results.append((delivery, SENT))
            except OSError as exc:
                results.append((delivery, Outcome(ok=False, error=f"smtp: {type(exc).__name__}")))
    finally:
        try:
            connection.close()
        except OSError:
            logger.warning("SMTP connection did not close cleanly")
    return results


def _contacts(deliveries, channel) -> dict:
    """Members' destinations on `channel`, by membership id (outside contacts carry their own)."""
    members = [d.membership_id for d in deliveries if not d.destination]
    if not members:
        return {}
    return {c.membership_id: c.contact for c in Contact.objects.filter(membership_id__in=members, channel=channel)}


def _destination(delivery, contacts: dict) -> str | None:
    return delivery.destination or contacts.get(delivery.membership_id)


def _sms_request(to: str, text: str, key: str) -> tuple[str, str, bytes, dict]:
    if settings.SMS_GATEWAY == "twilio":
        sid = settings.TWILIO_ACCOUNT_SID
        url = f"{settings.TWILIO_API_URL}/2010-04-01/Accounts/{sid}/Messages.json"
        credentials = base64.b64encode(f"{sid}:{settings.TWILIO_AUTH_TOKEN}".encode()).decode()
        body = f"To={quote(to)}&From={quote(settings.TWILIO_FROM)}&Body={quote(text)}".encode()
        headers = {
            "Authorization": f"Basic {credentials}",
            "Content-Type": "application/x-www-form-urlencoded",
            "I-Twilio-Idempotency-Token": key,
        }
        return "POST", url, body, headers
    content_type = settings.SMS_GATEWAY_CONTENT_TYPE
    if "json" in content_type:
        escape = lambda value: json.dumps(value)[1:-1]  # noqa: E731  the template supplies the quotes
    else:
        escape = quote
    body = settings.SMS_GATEWAY_BODY.replace("{to}", escape(to)).replace("{text}", escape(text)).encode()
    headers = {"Content-Type": content_type, "Idempotency-Key": key}
    if settings.SMS_GATEWAY_TOKEN:
        headers["Authorization"] = f"Bearer {settings.SMS_GATEWAY_TOKEN}"
    return "POST", settings.SMS_GATEWAY_URL, body, headers


def _send_sms(deliveries) -> list:
    contacts = _contacts(deliveries, Channel.SMS)
    texts = _Texts()
    results = []
    for delivery in deliveries:
        to = _destination(delivery, contacts)
        if not to:
            results.append((delivery, Outcome(ok=False, gone=True, error="no SMS destination")))
            continue
        _title, body = texts(delivery)
        text = body if delivery.destination else f"{body} {_inbox_url()}"
        method, url, payload, headers = _sms_request(to, text, delivery.idempotency_key)
        try:
            response = _http.request(method, url, body=payload, headers=headers, timeout=_TIMEOUT)
        except urllib3.exceptions.HTTPError as exc:
            results.append((delivery, Outcome(ok=False, error=f"sms: {type(exc).__name__}")))
            continue
        if 200 <= response.status < 300:
            results.append((delivery, SENT))
        else:
            # A gateway that understood and refused (bad number) will refuse again; anything else may pass later.
            permanent = response.status in (400, 404, 422)
            results.append((delivery, Outcome(ok=False, gone=permanent, error=f"sms: HTTP {response.status}")))
    return results


_SENDERS = {Channel.PUSH: _send_push, Channel.EMAIL: _send_email, Channel.SMS: _send_sms}


def send_batch_start(deliveries) -> Callable[[], list]:
    """Start sending claimed deliveries, grouped by channel: email and SMS go out before this returns, push
    messages are on their way. The callable it returns waits until every outcome is known and gives
    (delivery, Outcome) for each."""
    results, waiting = [], []
    for channel, sender in _SENDERS.items():
        group = [d for d in deliveries if d.channel == channel]
        if not group:
            continue
        if not configured(channel):
            results += [(d, Outcome(ok=False, error=f"{channel} not configured")) for d in group]
        elif channel == Channel.PUSH:
            waiting.append(sender(group))
        else:
            results += sender(group)
    results += [(d, SENT) for d in deliveries if d.channel not in _SENDERS]
    return lambda: results + [outcome for answers in waiting for outcome in answers()]


def send_batch(deliveries) -> list:
    """Send claimed deliveries, grouped by channel; returns (delivery, Outcome) for each."""
    return send_batch_start(deliveries)()
