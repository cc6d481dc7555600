"""Real peers for the notification tests, each with the settings that point Sombrilla at it.

Every peer runs on loopback in this process: an aiosmtpd SMTP server, a generic SMS gateway, a Twilio-shaped
API and a Web Push service that decrypts what it receives, as a browser would.
"""

import logging

import pytest

from sombrilla.core import crypto
from sombrilla.notify.tests.peers import HttpPeer, SmtpPeer

SITE_URL = "https://sombrilla.example.org"
# A fresh key rather than the demo key: worker processes started by the tests refuse the demo key.
VAPID_PRIVATE_KEY = crypto.new_vapid_key()
TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "twilio-test-auth-token"
TWILIO_FROM = "+15005550006"

# aiosmtpd logs every connection at INFO; a failing test's output is easier to read without them.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """Nothing here is about passphrases; Argon2 for every person of every test costs seconds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def site(settings):
    """Links in email and SMS point at the site, as SITE_URL says (required whenever they are configured)."""
    settings.SITE_URL = SITE_URL
    settings.SITE_NAME = "Sombrilla"
    return settings


@pytest.fixture
def no_channels(settings):
    """A deployment that configured no outside channel: only the in-app inbox."""
    settings.VAPID_PRIVATE_KEY = ""
    settings.EMAIL_HOST = ""
    settings.SMS_GATEWAY = ""
    return settings


@pytest.fixture
def smtp_peer(site):
    peer = SmtpPeer().start()
    site.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    site.EMAIL_HOST, site.EMAIL_PORT = "127.0.0.1", peer.port
    site.EMAIL_USE_TLS = site.EMAIL_USE_SSL = False
    site.EMAIL_TIMEOUT = 5
    yield peer
    peer.stop()


@pytest.fixture
def sms_peer(site):
    peer = HttpPeer(answer=200).start()
    site.SMS_GATEWAY, site.SMS_GATEWAY_URL = "http", f"{peer.url}/send"
    site.SMS_GATEWAY_BODY = '{"to": "{to}", "text": "{text}"}'
    site.SMS_GATEWAY_CONTENT_TYPE = "application/json"
    site.SMS_GATEWAY_TOKEN = ""
    yield peer
    peer.stop()


@pytest.fixture
def twilio_peer(site):
    """Twilio's Messages API as far as Sombrilla uses it: a form POST with Basic auth."""
    peer = HttpPeer(answer=201).start()
    site.SMS_GATEWAY = "twilio"
    site.TWILIO_API_URL = peer.url
    site.TWILIO_ACCOUNT_SID, site.TWILIO_AUTH_TOKEN, site.TWILIO_FROM = TWILIO_SID, TWILIO_TOKEN, TWILIO_FROM
    yield peer
    peer.stop()


@pytest.fixture
def push_peer(site):
    peer = HttpPeer(answer=201).start()
    site.PUSH_SERVICE_HOSTS = [peer.url]
    site.VAPID_PRIVATE_KEY = VAPID_PRIVATE_KEY
    yield peer
    peer.stop()


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run as soon as they are enqueued (after the commit), in this process."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return settings
