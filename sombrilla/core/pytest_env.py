"""Loaded by pytest before Django (`-p sombrilla.core.pytest_env`): test keys that are not the demo keys,
so the suite runs the production code path (DEBUG off, demo keys refused)."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-only-for-the-test-suite-3b1f9c2e8d7a6f5e4d3c2b1a")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "dGVzdC1maWVsZC1rZXktb25seS1mb3ItdGhlLXRlc3Q=")
os.environ.setdefault("IDENTIFIER_PEPPER", "test-pepper-only-for-the-test-suite")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("ADMIN_PATH", "operator-test")
os.environ.setdefault("QUICK_EXIT_URL", "https://neutral.invalid/")
os.environ["SOMBRILLA_DEMO"] = "0"
os.environ["SOMBRILLA_ENV_FILE"] = os.devnull
_var = os.environ.get("SOMBRILLA_VAR_DIR") or os.path.join(os.path.dirname(__file__), "..", "..", "var")
os.environ.setdefault("STATIC_ROOT", os.path.join(_var, "test-static"))
# Audio that tests upload (rights articles) stays out of the real media folder.
os.environ.setdefault("MEDIA_ROOT", os.path.join(_var, "test-media"))
# Playwright's sync API runs an event loop in the test thread; Django's guard would refuse every query.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.makedirs(os.environ["STATIC_ROOT"], exist_ok=True)
