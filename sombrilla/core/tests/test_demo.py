"""`sombrilla demo` end to end: a real gunicorn process, the printed invitation works, logs name no client."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from urllib.parse import urlencode

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def demo_server(tmp_path):
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "FIELD_ENCRYPTION_KEYS",
            "IDENTIFIER_PEPPER",
            "DATABASE_URL",
            "STATIC_ROOT",
            "ALLOWED_HOSTS",
            "HTTPS",
            "ADMIN_PATH",
        }
    }
    env.update(
        SOMBRILLA_VAR_DIR=str(tmp_path),
        BIND=f"127.0.0.1:{port}",
        SOMBRILLA_ENV_FILE=os.devnull,
        WEB_WORKERS="1",
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "demo.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "sombrilla", "demo"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if "Booting worker" in log.read_text() or process.poll() is not None:
            try:
                urllib.request.urlopen(base + "/login/", timeout=2)
                break
            except OSError:
                pass
        time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("demo server did not start:\n" + log.read_text())
    yield base, log
    process.terminate()
    process.wait(timeout=20)


def test_it_serves_the_demo_and_the_printed_invitation_lets_someone_join(demo_server):
    base, log = demo_server
    output = log.read_text()
    assert "Every demo account's passphrase" in output
    code = re.search(r"join/\?code=([0-9A-Z-]{14})", output).group(1)

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    form = opener.open(f"{base}/join/?code={code}").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    body = urlencode(
        {
            "csrfmiddlewaretoken": token,
            "code": code,
            "pseudonym": "newcomer",
            "passphrase": "a-long-enough-passphrase",
            "passphrase_again": "a-long-enough-passphrase",
        }
    )
    request = urllib.request.Request(f"{base}/join/", data=body.encode(), headers={"Referer": base + "/join/"})
    page = opener.open(request).read().decode()
    assert page.count("<li>") >= 10 and "recovery-codes" in page
    assert "Demo Collective" in opener.open(f"{base}/home/").read().decode()


def test_it_logs_requests_without_the_client_address_or_user_agent(demo_server):
    base, log = demo_server
    request = urllib.request.Request(
        base + "/login/", headers={"X-Forwarded-For": "203.0.113.99", "User-Agent": "Distinctive-Agent/9.9"}
    )
    urllib.request.urlopen(request).read()
    time.sleep(0.5)
    requests_logged = [line for line in log.read_text().splitlines() if "/login/" in line]
    assert requests_logged, "the access log should record the request itself"
    for line in requests_logged:
        assert "127.0.0.1" not in line and "203.0.113.99" not in line and "Distinctive-Agent" not in line
