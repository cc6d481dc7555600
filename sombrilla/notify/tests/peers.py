"""Real peers for the notification pipeline: an SMTP server, an SMS gateway and a Web Push endpoint.

Each runs in this process on a loopback port and records what it received. The push endpoint decrypts
every message with http_ece and the subscription's private key, as a browser would; the peers count
repeats of an idempotency key the way a careful receiver would drop them.
"""

import base64
import json
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SmtpPeer:
    """aiosmtpd on a free port; `messages` holds every message received (email.message.EmailMessage).

    `delay` (seconds) is how long it takes to answer each message after receiving it, so that a fan-out
    lasts long enough for a test to kill a worker in the middle of it.
    """

    def __init__(self, delay: float = 0.0):
        self.messages: list = []
        self.delay = delay
        self._controller = None
        self.port = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  aiosmtpd's handler API
        import asyncio
        from email import message_from_bytes, policy

        # Kept on arrival: a sender killed before it hears "250" has still delivered the message. Parsed as a
        # mail client would (the default policy unfolds long headers and decodes encoded words).
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 OK"

    def start(self, port: int = 0) -> "SmtpPeer":
        self._controller = Controller(self, hostname="127.0.0.1", port=port or self.port or _free_port())
        self._controller.start()
        self.port = self._controller.port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def keys(self) -> Counter:
        """How many times each Message-ID arrived (a receiver that drops repeats keeps one of each)."""
        return Counter(str(m["Message-ID"]).strip() for m in list(self.messages))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Subscription:
    """A browser's side of a push subscription: the private key stays here, the rest goes to the server."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    @property
    def p256dh(self) -> str:
        return _b64(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def as_form(self) -> dict:
        return {"endpoint": self.endpoint, "p256dh": self.p256dh, "auth": _b64(self.auth)}


@dataclass
class HttpPeer:
    """A threaded HTTP server on loopback that records requests; `answer` decides the status code, and
    `delay` how long each answer takes (the request is recorded on arrival, before the delay).

    hold() makes it keep every later request unanswered until release(): a test can then be sure a sender
    is in the middle of a send, with the message already received, when it kills the sender.
    """

    answer: int = 201
    delay: float = 0.0
    requests: list = field(default_factory=list)
    subscriptions: dict = field(default_factory=dict)
    decrypt: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)
    held: int = 0
    _holding: bool = False
    _released: threading.Event = field(default_factory=threading.Event)

    def start(self) -> "HttpPeer":
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802  http.server's API
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                record = {"path": self.path, "headers": dict(self.headers), "body": body}
                subscription = peer.subscriptions.get(self.path)
                if subscription is not None and peer.decrypt:
                    plain = http_ece.decrypt(
                        body, private_key=subscription.private_key, auth_secret=subscription.auth, version="aes128gcm"
                    )
                    record["payload"] = json.loads(plain)
                with peer.lock:
                    peer.requests.append(record)
                if peer._holding:
                    with peer.lock:
                        peer.held += 1
                    peer._released.wait(timeout=60)
                if peer.delay:
                    time.sleep(peer.delay)
                self.send_response(peer.answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a sender killed mid-request leaves a broken pipe behind: expected, not news

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def hold(self) -> None:
        self._released.clear()
        self._holding = True

    def release(self) -> None:
        self._holding = False
        self._released.set()

    def stop(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()

    def subscription(self) -> Subscription:
        """A new browser subscription whose endpoint is on this peer."""
        path = f"/push/{_b64(os.urandom(12))}"
        subscription = Subscription(f"{self.url}{path}", ec.generate_private_key(ec.SECP256R1()), os.urandom(16))
        self.subscriptions[path] = subscription
        return subscription

    def keys(self, header: str) -> Counter:
        """How many times each value of `header` (an idempotency key) arrived."""
        with self.lock:
            return Counter(r["headers"].get(header) for r in self.requests)

    def received(self) -> list:
        with self.lock:
            return list(self.requests)
