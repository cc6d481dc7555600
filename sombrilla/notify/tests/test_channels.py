"""What leaves the site on each channel, checked at the receiving end: a push service that decrypts like a
browser, an SMTP server, a generic SMS gateway and Twilio's API. Lock-screen text is discreet by default,
shows only the topic when the member asks, and is in the recipient's language."""

import base64
import json
import os
import signal
import threading
import time
import uuid
from email.utils import parseaddr
from urllib.parse import parse_qs, urlsplit

import polib
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.conf import settings as django_settings

from sombrilla.accounts.models import Account
from sombrilla.core import clock
from sombrilla.notify import channels, services
from sombrilla.notify.models import Channel, Delivery, Topic
from sombrilla.notify.tests.conftest import SITE_URL, TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN
from sombrilla.notify.tests.factories import dispatch, key_of, outgoing, push_senders, reachable, tell_outside

INBOX = f"{SITE_URL}/inbox/"
# Words that would tell someone holding the phone what the message is about.
REVEALING = ("alert", "client", "police", "report", "danger")


def _b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _send(*members, topic=Topic.ALERT, urgent=False):
    dispatch(members[0].organisation, *members, topic=topic, urgent=urgent)
    return services.deliveries_send_due()


# Web Push -------------------------------------------------------------------------------------------


def test_it_sends_a_discreet_push_that_only_the_browser_can_read(alice, push_peer):
    reachable(alice, push=push_peer)
    assert _send(alice) == 1
    [request] = push_peer.received()
    key = key_of(alice, Channel.PUSH)
    assert request["path"] == urlsplit(alice.browser.endpoint).path
    # The push service sees ciphertext only; the browser's private key opens it.
    assert b"New update" not in request["body"]
    assert request["payload"] == {
        "title": "Sombrilla",
        "body": "New update from Sombrilla",
        "tag": key[:32],
        "url": "/inbox/",
    }
    headers = request["headers"]
    assert headers["Content-Encoding"] == "aes128gcm"
    assert headers["TTL"] == str(24 * 3600)
    assert headers["Urgency"] == "normal"
    assert headers["Topic"] == key[:32]  # a resend replaces, never doubles, an undelivered message


def test_it_signs_each_push_with_the_sites_vapid_key_for_that_push_service(alice, push_peer):
    reachable(alice, push=push_peer)
    _send(alice)
    scheme, _, params = push_peer.received()[0]["headers"]["Authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.split("=", 1) for part in params.split(","))
    assert fields["k"] == channels.vapid_public_key()
    header, claims, signature = fields["t"].split(".")
    assert json.loads(_b64decode(header)) == {"typ": "JWT", "alg": "ES256"}
    claims_ = json.loads(_b64decode(claims))
    assert claims_["aud"] == push_peer.url  # the push service's origin, nothing more
    assert 0 < claims_["exp"] - time.time() <= 24 * 3600
    raw = _b64decode(signature)
    public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64decode(fields["k"]))
    public_key.verify(  # raises if the signature is not the site's
        encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
        f"{header}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )


def test_it_asks_push_services_to_hurry_only_for_urgent_messages(alice, push_peer):
    reachable(alice, push=push_peer)
    _send(alice, urgent=True)
    assert push_peer.received()[0]["headers"]["Urgency"] == "high"


def test_it_pushes_to_every_device_of_the_member(alice, push_peer):
    reachable(alice, push=push_peer)
    phone = push_peer.subscription()
    services.push_subscribe(membership=alice, **phone.as_form())
    assert _send(alice) == 2
    assert sorted(r["path"] for r in push_peer.received()) == sorted(
        urlsplit(b.endpoint).path for b in (alice.browser, phone)
    )
    assert all(r["payload"]["body"] == "New update from Sombrilla" for r in push_peer.received())


def test_a_push_sender_that_dies_mid_batch_is_replaced_and_the_batch_tried_again(alice, push_peer):
    reachable(alice, push=push_peer)
    push_peer.hold()

    def kill_the_sender_once_a_message_is_in_flight():
        deadline = time.monotonic() + 30
        while not push_peer.held and time.monotonic() < deadline:
            time.sleep(0.01)
        for pid in push_senders(os.getpid()):
            os.kill(pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_the_sender_once_a_message_is_in_flight)
    killer.start()
    _send(alice)
    killer.join()
    push_peer.release()
    delivery = outgoing().get()
    # Whether it reached the push service is unknown, so it waits for its next attempt.
    assert (delivery.status, delivery.last_error) == (Delivery.Status.PENDING, "push: SenderStopped")
    outgoing().update(next_attempt_at=clock.now())
    assert services.deliveries_send_due() == 1
    assert outgoing().get().status == Delivery.Status.SENT
    assert len(push_senders(os.getpid())) == 1  # a new one, started for the retry
    assert push_peer.keys("Topic") == {key_of(alice, Channel.PUSH)[:32]: 2}


# Email over SMTP -------------------------------------------------------------------------------------


def test_it_emails_a_discreet_message_with_a_link_to_the_inbox(alice, smtp_peer):
    reachable(alice, email="Alice@Example.org")
    assert _send(alice) == 1
    [message] = smtp_peer.messages
    assert parseaddr(message["To"])[1] == "alice@example.org"
    assert message["From"] == django_settings.DEFAULT_FROM_EMAIL
    assert message["Subject"] == "New update from Sombrilla"
    body = message.get_content()
    assert INBOX in body
    assert not any(word in (message["Subject"] + body).lower() for word in REVEALING)


def test_it_gives_a_resent_email_the_same_message_id(alice, smtp_peer):
    """A worker that dies between sending and recording sends again: the receiver must be able to tell."""
    reachable(alice, email="alice@example.org")
    _send(alice)
    Delivery.objects.filter(channel=Channel.EMAIL).update(status=Delivery.Status.PENDING)
    assert services.deliveries_send_due() == 1
    # Both copies carry one Message-ID, so the receiving side keeps one.
    assert smtp_peer.keys() == {f"<{key_of(alice, Channel.EMAIL)}@sombrilla.example.org>": 2}


def test_it_retries_email_while_the_smtp_server_is_down(alice, smtp_peer):
    reachable(alice, email="alice@example.org")
    smtp_peer.stop()
    _send(alice)
    delivery = outgoing().get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error == "smtp: ConnectionRefusedError"
    assert "alice" not in delivery.last_error and "example.org" not in delivery.last_error


# SMS ------------------------------------------------------------------------------------------------


def test_it_posts_sms_to_a_generic_gateway_as_json(alice, sms_peer, settings):
    settings.SMS_GATEWAY_TOKEN = "gateway-token"
    reachable(alice, phone="0712 345 678")
    assert _send(alice) == 1
    [request] = sms_peer.received()
    assert request["path"] == "/send"
    assert json.loads(request["body"]) == {"to": "+254712345678", "text": f"New update from Sombrilla {INBOX}"}
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Idempotency-Key"] == key_of(alice, Channel.SMS)
    assert request["headers"]["Authorization"] == "Bearer gateway-token"


def test_it_keeps_the_json_valid_whatever_the_site_is_called(alice, sms_peer, settings):
    settings.SITE_NAME = 'Notes "and" \\ more'
    reachable(alice, phone="+254712345678")
    _send(alice)
    assert json.loads(sms_peer.received()[0]["body"])["text"] == f'New update from Notes "and" \\ more {INBOX}'


def test_it_posts_sms_as_a_form_when_the_gateway_wants_one(alice, sms_peer, settings):
    settings.SMS_GATEWAY_BODY = "phone={to}&message={text}"
    settings.SMS_GATEWAY_CONTENT_TYPE = "application/x-www-form-urlencoded"
    settings.SITE_NAME = "Notes & more"
    reachable(alice, phone="+254712345678")
    _send(alice)
    [request] = sms_peer.received()
    assert "Authorization" not in request["headers"]
    assert parse_qs(request["body"].decode(), strict_parsing=True) == {
        "phone": ["+254712345678"],
        "message": [f"New update from Notes & more {INBOX}"],
    }


def test_it_sends_sms_through_twilio_with_basic_auth_and_an_idempotency_token(alice, twilio_peer):
    reachable(alice, phone="+254712345678")
    assert _send(alice) == 1
    [request] = twilio_peer.received()
    assert request["path"] == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    headers = request["headers"]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    scheme, credentials = headers["Authorization"].split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(credentials).decode() == f"{TWILIO_SID}:{TWILIO_TOKEN}"
    assert headers["I-Twilio-Idempotency-Token"] == key_of(alice, Channel.SMS)
    assert parse_qs(request["body"].decode(), strict_parsing=True) == {
        "To": ["+254712345678"],
        "From": [TWILIO_FROM],
        "Body": [f"New update from Sombrilla {INBOX}"],
    }
    assert outgoing().get().status == Delivery.Status.SENT


def test_it_retries_when_twilio_is_unavailable(alice, twilio_peer):
    twilio_peer.answer = 503
    reachable(alice, phone="+254712345678")
    _send(alice)
    assert (outgoing().get().status, outgoing().get().last_error) == ("pending", "sms: HTTP 503")


# What the lock screen says --------------------------------------------------------------------------


def _lock_screens(push_peer, sms_peer, smtp_peer) -> dict:
    return {
        "push": [r["payload"]["body"] for r in push_peer.received()],
        "sms": [json.loads(r["body"])["text"].removesuffix(f" {INBOX}") for r in sms_peer.received()],
        "email": [m["Subject"] for m in smtp_peer.messages],
    }


@pytest.mark.parametrize("topic", [Topic.ALERT, Topic.POLICE_ALERT])
def test_it_says_only_new_update_by_default_on_every_channel(alice, push_peer, sms_peer, smtp_peer, topic):
    reachable(alice, push=push_peer, email="alice@example.org", phone="+254712345678")
    assert _send(alice, topic=topic) == 3
    shown = _lock_screens(push_peer, sms_peer, smtp_peer)
    assert shown == {channel: ["New update from Sombrilla"] for channel in ("push", "sms", "email")}


@pytest.mark.parametrize(
    ("topic", "label"), [(Topic.ALERT, "New alert about a client"), (Topic.POLICE_ALERT, "Police activity reported")]
)
def test_it_shows_only_the_topic_when_the_member_turns_discreet_off(
    alice, push_peer, sms_peer, smtp_peer, topic, label
):
    reachable(alice, push=push_peer, email="alice@example.org", phone="+254712345678", discreet=False)
    dispatch(alice.organisation, alice, topic=topic, url="/alerts/0b6f/")
    services.deliveries_send_due()
    assert _lock_screens(push_peer, sms_peer, smtp_peer) == {channel: [label] for channel in ("push", "sms", "email")}
    # Never where it leads: the link is always the inbox, behind the login.
    assert push_peer.received()[0]["payload"]["url"] == "/inbox/"
    assert "/alerts/" not in smtp_peer.messages[0].get_content()


def test_it_names_the_deployment_not_sombrilla_when_the_site_is_renamed(alice, push_peer, sms_peer, settings):
    settings.SITE_NAME = "Notes"
    reachable(alice, push=push_peer, phone="+254712345678")
    _send(alice)
    assert push_peer.received()[0]["payload"]["title"] == "Notes"
    assert push_peer.received()[0]["payload"]["body"] == "New update from Notes"
    assert "Sombrilla" not in sms_peer.received()[0]["body"].decode()


# The recipient's language ---------------------------------------------------------------------------

SPANISH = {
    "New update from %(site)s": "Novedad de %(site)s",
    "New alert about a client": "Nueva alerta sobre un cliente",
}


@pytest.fixture
def spanish(settings, tmp_path):
    """A Spanish catalogue with the notification strings, ahead of the project's own, so the test does not
    depend on how far the translators have got."""
    catalogue = polib.POFile()
    catalogue.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Plural-Forms": "nplurals=2; plural=(n != 1);"}
    for msgid, msgstr in SPANISH.items():
        catalogue.append(polib.POEntry(msgid=msgid, msgstr=msgstr, flags=["python-format"] if "%(" in msgid else []))
    directory = tmp_path / "es" / "LC_MESSAGES"
    directory.mkdir(parents=True)
    catalogue.save_as_mofile(str(directory / "django.mo"))
    settings.LOCALE_PATHS = [tmp_path, *settings.LOCALE_PATHS]
    return settings


def _speaks(membership, language: str) -> None:
    Account.objects.filter(pk=membership.account_id).update(language=language)


def test_it_writes_to_each_member_in_their_own_language(alice, bob, push_peer, sms_peer, smtp_peer, spanish):
    _speaks(alice, "es")
    reachable(alice, push=push_peer, email="alice@example.org", phone="+254712345678")
    reachable(bob, email="bob@example.org")
    assert _send(alice, bob) == 4
    by_recipient = {parseaddr(m["To"])[1]: m["Subject"] for m in smtp_peer.messages}
    assert by_recipient == {"alice@example.org": "Novedad de Sombrilla", "bob@example.org": "New update from Sombrilla"}
    assert push_peer.received()[0]["payload"]["body"] == "Novedad de Sombrilla"
    assert json.loads(sms_peer.received()[0]["body"])["text"] == f"Novedad de Sombrilla {INBOX}"


def test_it_translates_the_topic_too_when_discreet_is_off(alice, push_peer, spanish):
    _speaks(alice, "es")
    reachable(alice, push=push_peer, discreet=False)
    _send(alice)
    assert push_peer.received()[0]["payload"]["body"] == "Nueva alerta sobre un cliente"


def test_it_falls_back_to_the_site_language_when_the_member_chose_none(alice, push_peer, spanish):
    _speaks(alice, "")
    spanish.LANGUAGE_CODE = "es"
    reachable(alice, push=push_peer)
    _send(alice)
    assert push_peer.received()[0]["payload"]["body"] == "Novedad de Sombrilla"


# Outside contacts -----------------------------------------------------------------------------------

BUDDY = uuid.UUID(int=7)
# Accents and quotes: the text must reach the contact exactly as the sender wrote it, in any language.
MESSAGE = 'Rosa no ha hecho su "check-in". Llámala o abre https://sombrilla.example.org/c/tok-3f9a'


def _outside(channel: str, destination: str) -> services.Outside:
    return services.Outside(reference=BUDDY, channel=channel, destination=destination, message=MESSAGE)


def _outside_key(channel: str) -> str:
    return Delivery.objects.get(membership__isnull=True, channel=channel).idempotency_key


def test_it_texts_an_outside_contact_exactly_the_message_and_nothing_else(alice, sms_peer):
    tell_outside(alice.organisation, _outside(Channel.SMS, "+254733000111"))
    assert services.deliveries_send_due() == 1
    [request] = sms_peer.received()
    assert json.loads(request["body"]) == {"to": "+254733000111", "text": MESSAGE}
    assert request["headers"]["Idempotency-Key"] == _outside_key(Channel.SMS)
    sent = outgoing().get()
    # Once it went, neither the number nor the text (with its one-time link) is kept.
    assert (sent.status, sent.destination, sent.message) == (Delivery.Status.SENT, "", "")


def test_it_texts_an_outside_contact_through_twilio(alice, twilio_peer):
    tell_outside(alice.organisation, _outside(Channel.SMS, "+254733000111"))
    services.deliveries_send_due()
    [request] = twilio_peer.received()
    assert parse_qs(request["body"].decode(), strict_parsing=True) == {
        "To": ["+254733000111"],
        "From": [TWILIO_FROM],
        "Body": [MESSAGE],
    }


def test_it_emails_an_outside_contact_the_message_under_the_sites_name(alice, smtp_peer, settings):
    settings.SITE_NAME = "Notes"
    tell_outside(alice.organisation, _outside(Channel.EMAIL, "buddy@example.org"))
    assert services.deliveries_send_due() == 1
    [message] = smtp_peer.messages
    assert parseaddr(message["To"])[1] == "buddy@example.org"
    assert message["Subject"] == "Notes"
    assert message.get_content().splitlines() == [MESSAGE]  # the text, and nothing added to it
    assert INBOX not in message.get_content()
    assert smtp_peer.keys() == {f"<{_outside_key(Channel.EMAIL)}@sombrilla.example.org>": 1}


def test_it_tells_members_and_outside_contacts_each_their_own_text_in_one_batch(alice, bob, sms_peer, smtp_peer):
    reachable(alice, phone="+254712345678", email="alice@example.org")
    reachable(bob, phone="+254700000002", discreet=False)
    tell_outside(
        alice.organisation,
        _outside(Channel.SMS, "+254733000111"),
        _outside(Channel.EMAIL, "buddy@example.org"),
        members=[alice, bob],
    )
    assert services.deliveries_send_due() == 5
    texts = {json.loads(r["body"])["to"]: json.loads(r["body"])["text"] for r in sms_peer.received()}
    assert texts == {
        "+254712345678": f"New update from Sombrilla {INBOX}",
        "+254700000002": f"Someone you look out for has not checked in {INBOX}",
        "+254733000111": MESSAGE,
    }
    mail = {parseaddr(m["To"])[1]: (m["Subject"], m.get_content().splitlines()) for m in smtp_peer.messages}
    assert mail == {
        "alice@example.org": ("New update from Sombrilla", ["New update from Sombrilla", "", INBOX]),
        "buddy@example.org": ("Sombrilla", [MESSAGE]),
    }


def test_it_gives_up_on_an_outside_number_the_gateway_refuses(alice, sms_peer):
    sms_peer.answer = 400
    tell_outside(alice.organisation, _outside(Channel.SMS, "+254733000111"))
    services.deliveries_send_due()
    delivery = outgoing().get()
    assert (delivery.status, delivery.last_error) == ("undeliverable", "sms: HTTP 400")
    assert "733000111" not in delivery.last_error
