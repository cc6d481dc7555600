"""The push sender: a child process of each process that sends Web Push, which POSTs messages already encrypted.

Why a process of its own: an HTTP client costs about as much CPU per message as encrypting it, and in the
worker's process the two shared one interpreter lock with claiming and recording deliveries, so a worker
spent much of a fan-out waiting for itself while the machine's other core idled. Here it runs beside the
worker instead. It imports no Django and reads no database: it gets (endpoint, body, headers) messages,
encrypted for their recipients, and gives back each one's HTTP status. It stops within a moment of the
process that started it going away, however that ends (a SIGKILL too), so no sender outlives its worker.
"""

import asyncio
import os
import threading
import time

import aiohttp

_state: dict = {}


def start() -> None:
    """Runs first in the child: one event loop and, once needed, one aiohttp session for the child's life, so
    connections to a push service are kept alive across batches."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    _state["loop"] = asyncio.new_event_loop()


def post_all(messages: list, concurrency: int) -> list:
    """POST each (endpoint, body, headers), never more than `concurrency` at once; each one's HTTP status, or
    the name of the exception that stopped it (exceptions themselves may not survive the trip back)."""
    return _state["loop"].run_until_complete(_post_all(messages, concurrency))


async def _post_all(messages: list, concurrency: int) -> list:
    if _state.get("session") is None:
        _state["session"] = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=15),
            auto_decompress=False,
            # A push service has no business setting cookies, and none should be kept between messages.
            cookie_jar=aiohttp.DummyCookieJar(),
        )
    session = _state["session"]
    gate = asyncio.Semaphore(max(1, concurrency))

    async def post(endpoint: str, body: bytes, headers: dict):
        async with gate:
            try:
                # No redirects: the endpoint was checked against PUSH_SERVICE_HOSTS, where it leads was not.
                async with session.post(endpoint, data=body, headers=headers, allow_redirects=False) as response:
                    await response.read()
                    return response.status
            except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
                return type(exc).__name__

    return await asyncio.gather(*(post(*message) for message in messages))
