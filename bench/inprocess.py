"""Django set up in this process as production renders pages, for benchmarks that time requests through the
test client. Import it before anything from Django: a fresh SQLite database under a temporary directory
unless DATABASE_URL says otherwise."""

import os
import tempfile

import django

os.environ.setdefault("SOMBRILLA_DEMO", "1")
# Production renders with cached templates; demo mode's DEBUG would recompile every template per request.
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SOMBRILLA_VAR_DIR", tempfile.mkdtemp(prefix="sombrilla-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sombrilla.settings")
os.environ.setdefault("SOMBRILLA_ENV_FILE", os.devnull)
# The test client's host. Not setup_test_environment(): it instruments every template render for the test
# client to copy each context, a cost the real site never pays.
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

django.setup()
