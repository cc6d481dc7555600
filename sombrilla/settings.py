"""Sombrilla settings: every value comes from the environment (or an env file named by SOMBRILLA_ENV_FILE).

Outside demo mode there are no usable secret defaults: a missing or demo key stops the server.
"""

import base64
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def _load_env_file(path: Path) -> None:
    """Read KEY=VALUE lines into os.environ without overriding what the environment already says."""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip("'\""))


_env_file = Path(os.environ.get("SOMBRILLA_ENV_FILE", PROJECT_DIR / ".env"))
if _env_file.is_file():
    _load_env_file(_env_file)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envsecret_optional(name: str) -> str:
    """A secret that a deployment may leave out (it then goes without the channel that needs it)."""
    if os.environ.get(f"{name}_FILE"):
        return Path(os.environ[f"{name}_FILE"]).read_text(encoding="utf-8").strip()
    return os.environ.get(name, "")


def envsecret(name: str, demo_value: str) -> str:
    """A secret from NAME or from the file named by NAME_FILE (for Docker/systemd credentials)."""
    value = envsecret_optional(name)
    if value:
        return value
    if DEMO:
        return demo_value
    raise ImproperlyConfigured(f"{name} is not set: run `sombrilla init` to write an env file with fresh keys")


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Demo mode is the only mode with debug on and known keys; it is for a laptop on loopback.
DEMO = envbool("SOMBRILLA_DEMO", False)
DEBUG = DEMO and envbool("DEBUG", True)

# Published on purpose: these keys protect nothing, and the server refuses them outside demo mode.
DEMO_SECRET_KEY = "demo-secret-key-not-for-production-5f1c0a9e7d2b4c6a8e0f1a3b5c7d9e1f"  # noqa: S105
DEMO_FIELD_KEY = "ZGVtby1maWVsZC1rZXktbm90LWZvci1wcm9kdWN0aW8="
DEMO_PEPPER = "demo-identifier-pepper-not-for-production"

SECRET_KEY = envsecret("SECRET_KEY", DEMO_SECRET_KEY)
# Newest key first; older keys only decrypt until `sombrilla reencrypt` has moved everything on.
FIELD_ENCRYPTION_KEYS = envlist("FIELD_ENCRYPTION_KEYS") or [envsecret("FIELD_ENCRYPTION_KEYS", DEMO_FIELD_KEY)]
IDENTIFIER_PEPPER = envsecret("IDENTIFIER_PEPPER", DEMO_PEPPER)
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        _valid = len(base64.urlsafe_b64decode(_key.encode())) == 32
    except ValueError:
        _valid = False
    if not _valid:
        raise ImproperlyConfigured(
            "Each FIELD_ENCRYPTION_KEYS entry must be a Fernet key (`sombrilla init` makes them)"
        )

if not DEMO and (
    SECRET_KEY == DEMO_SECRET_KEY or DEMO_FIELD_KEY in FIELD_ENCRYPTION_KEYS or IDENTIFIER_PEPPER == DEMO_PEPPER
):
    raise ImproperlyConfigured("The demo keys are public: run `sombrilla init` for fresh keys before serving.")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEMO else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

VAR_DIR = Path(os.environ.get("SOMBRILLA_VAR_DIR", PROJECT_DIR / "var"))
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'sombrilla.sqlite3'}",
        # A web process keeps its connection between requests: opening one costs more than a page's queries
        # on PostgreSQL, and the statements prepared on it go with it. A kept connection is checked before
        # each request reuses it, so a restarted database costs no failed page.
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # The test database is a file so that real server and worker processes started by tests share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    # Web and worker processes write the same file: WAL lets readers go on during a write, and IMMEDIATE
    # transactions take the write lock up front instead of failing when a read turns into a write.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Values travel apart from the SQL, and psycopg prepares a statement from its fifth run on a connection,
    # so PostgreSQL plans it once instead of every time: planning the screening lookup took twice as long
    # as running it. It pays off with persistent connections (DATABASE_CONN_MAX_AGE); behind PgBouncer in
    # transaction mode, PgBouncer needs max_prepared_statements set.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work goes through Django's Tasks API: the database backend needs no other service; with Redis
# the queue moves to RQ. Either way the durable state (deliveries and their leases) is in Sombrilla's tables.
if REDIS_URL:
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "sombrilla.core",
    "sombrilla.accounts",
    "sombrilla.notify",
    "sombrilla.alerts",
    "sombrilla.checkins",
    "sombrilla.rights",
    "sombrilla.directory",
    "sombrilla.monitoring",
    "sombrilla.monitoring.records",
]
if REDIS_URL:
    INSTALLED_APPS.append("django_rq")

MIDDLEWARE = [
    "sombrilla.core.middleware.SecurityHeadersMiddleware",
    "sombrilla.core.middleware.ForgetClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "sombrilla.accounts.middleware.MembershipMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sombrilla.urls"
WSGI_APPLICATION = "sombrilla.wsgi.application"
AUTH_USER_MODEL = "accounts.Account"
AUTHENTICATION_BACKENDS = ["sombrilla.accounts.backends.AccountBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csrf",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sombrilla.core.context_processors.site",
            ],
        },
    }
]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["pseudonym"]},
    },
    {"NAME": "sombrilla.accounts.validators.MaximumLengthValidator"},
]
PASSPHRASE_MAX_LENGTH = 128

# Sessions: a short idle timeout protects a phone left unlocked; staff sessions are shorter still.
SESSION_ENGINE = "sombrilla.accounts.sessions"
SESSION_IDLE_SECONDS = envint("SESSION_IDLE_SECONDS", 8 * 3600)
SESSION_ABSOLUTE_SECONDS = envint("SESSION_ABSOLUTE_SECONDS", 14 * 86400)
STAFF_SESSION_IDLE_SECONDS = envint("STAFF_SESSION_IDLE_SECONDS", 30 * 60)
STAFF_SESSION_ABSOLUTE_SECONDS = envint("STAFF_SESSION_ABSOLUTE_SECONDS", 12 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True

# The demo runs on plain-HTTP loopback, where browsers refuse Secure and __Host- cookies; nothing else relaxes.
HTTPS = envbool("HTTPS", not DEMO)
if HTTPS:
    SESSION_COOKIE_NAME = "__Host-sid"
    CSRF_COOKIE_NAME = "__Host-csrf"
    LANGUAGE_COOKIE_NAME = "__Host-lang"
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 63072000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
    # Preloading is a hard-to-undo commitment for the whole domain that only its owner can make; with it
    # off by default, `check --deploy --fail-level WARNING` (run by `sombrilla serve`) must not refuse to start.
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
else:
    SESSION_COOKIE_NAME = "sid"
    CSRF_COOKIE_NAME = "csrf"
    LANGUAGE_COOKIE_NAME = "lang"
if envbool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT: list[str] = []
SECURE_CONTENT_TYPE_NOSNIFF = True
# Not "no-referrer": with it browsers send `Origin: null` on same-origin POSTs and CSRF refuses every form.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("ru", "Русский"),
    ("fr", "Français"),
    ("zh-hans", "中文"),
    ("ar", "العربية"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_TZ = True

STATIC_URL = "/static/"
MEDIA_URL = "/media/"
# Uploaded audio for rights articles; served only through views that check who is asking.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 31536000

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# What a phone's home screen and tab show: a deployment may look like anything.
SITE_NAME = os.environ.get("SITE_NAME", "Sombrilla")
SITE_ICON = os.environ.get("SITE_ICON", "umbrella")
if SITE_ICON not in ("umbrella", "leaf", "note"):
    raise ImproperlyConfigured(f"SITE_ICON must be umbrella, leaf or note, not {SITE_ICON!r}")
# The organisation the front page presents, for a deployment that hosts several.
DEFAULT_ORGANISATION = os.environ.get("DEFAULT_ORGANISATION", "demo" if DEMO else "")
# Where quick exit goes before a member's organisation has chosen its own neutral site.
QUICK_EXIT_URL = os.environ.get("QUICK_EXIT_URL", "https://www.wikipedia.org/")
# Django's admin is only for superusers and only at a path the deployment chooses; empty turns it off.
ADMIN_PATH = os.environ.get("ADMIN_PATH", "demo-admin/" if DEMO else "").strip("/")

LOGIN_FAILURES_BEFORE_LOCK = envint("LOGIN_FAILURES_BEFORE_LOCK", 5)
LOGIN_LOCK_SECONDS = envint("LOGIN_LOCK_SECONDS", 60)
LOGIN_LOCK_MAX_SECONDS = envint("LOGIN_LOCK_MAX_SECONDS", 3600)
CLIENT_ATTEMPTS_PER_HOUR = envint("CLIENT_ATTEMPTS_PER_HOUR", 60)

INVITATION_DAYS = envint("INVITATION_DAYS", 14)

OTP_TOTP_ISSUER = SITE_NAME

# Absolute links in emails and SMS (they are read outside the site).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000" if DEMO else "").rstrip("/")

# Notification channels. A channel whose settings are missing is simply not offered to members.
DEMO_VAPID_PRIVATE_KEY = "P9fXYxOri42lr59H8pn_LmAWDdo1buHYvCR9El089MQ"  # noqa: S105  public on purpose, demo only
VAPID_PRIVATE_KEY = envsecret_optional("VAPID_PRIVATE_KEY") or (DEMO_VAPID_PRIVATE_KEY if DEMO else "")
if VAPID_PRIVATE_KEY == DEMO_VAPID_PRIVATE_KEY and not DEMO:
    raise ImproperlyConfigured("VAPID_PRIVATE_KEY is the demo key: run `sombrilla init` for fresh keys.")
# Push endpoints a subscription may point at (host suffixes, https); an entry with a scheme is one exact origin.
PUSH_SERVICE_HOSTS = envlist(
    "PUSH_SERVICE_HOSTS", "fcm.googleapis.com,push.services.mozilla.com,notify.windows.com,push.apple.com"
)
# Push services ask for a contact; a URL of the deployment says no more than the push service already knows.
VAPID_SUBJECT = os.environ.get(
    "VAPID_SUBJECT", SITE_URL if SITE_URL.startswith("https://") else "mailto:push@sombrilla.invalid"
)

EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
# The demo has no mail server: its emails are printed by the worker instead, so the channel can be tried.
if DEMO and not EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envsecret_optional("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", EMAIL_PORT == 465)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <noreply@invalid>")

# SMS: "http" posts SMS_GATEWAY_BODY (with {to} and {text}) to SMS_GATEWAY_URL, e.g. a gateway phone;
# "twilio" uses Twilio's Messages API. Empty: no SMS.
SMS_GATEWAY = os.environ.get("SMS_GATEWAY", "")
if SMS_GATEWAY not in ("", "http", "twilio"):
    raise ImproperlyConfigured(f"SMS_GATEWAY must be http, twilio or empty, not {SMS_GATEWAY!r}")
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
SMS_GATEWAY_BODY = os.environ.get("SMS_GATEWAY_BODY", '{"to": "{to}", "text": "{text}"}')
SMS_GATEWAY_CONTENT_TYPE = os.environ.get("SMS_GATEWAY_CONTENT_TYPE", "application/json")
SMS_GATEWAY_TOKEN = envsecret_optional("SMS_GATEWAY_TOKEN")
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = envsecret_optional("TWILIO_AUTH_TOKEN")
TWILIO_FROM = os.environ.get("TWILIO_FROM", "")
TWILIO_API_URL = os.environ.get("TWILIO_API_URL", "https://api.twilio.com").rstrip("/")
if (EMAIL_HOST or SMS_GATEWAY) and not SITE_URL:
    raise ImproperlyConfigured("Email and SMS notifications link back to the site: set SITE_URL")
if SMS_GATEWAY == "http" and not SMS_GATEWAY_URL:
    raise ImproperlyConfigured("SMS_GATEWAY=http needs SMS_GATEWAY_URL")

# Delivery: a claimed delivery is leased; a worker that dies loses its lease and the sweep hands the
# delivery to another. Attempts back off exponentially up to the last, which goes to the dead letters.
DELIVERY_LEASE_SECONDS = envint("DELIVERY_LEASE_SECONDS", 60)
DELIVERY_MAX_ATTEMPTS = envint("DELIVERY_MAX_ATTEMPTS", 8)
DELIVERY_RETRY_SECONDS = envint("DELIVERY_RETRY_SECONDS", 30)
DELIVERY_BATCH = envint("DELIVERY_BATCH", 400)
# Send tasks enqueued for one large fan-out, so that every running worker can take a share.
DELIVERY_PARALLEL_TASKS = envint("DELIVERY_PARALLEL_TASKS", 4)
# Push requests in flight at once per worker: push services answer in tens of milliseconds, not microseconds.
PUSH_CONCURRENCY = envint("PUSH_CONCURRENCY", 16)
SCHEDULER_TICK_SECONDS = envint("SCHEDULER_TICK_SECONDS", 5)
# (job, every N seconds) run by the scheduler inside `sombrilla worker`.
SCHEDULED_JOBS = [
    ("sombrilla.notify.services.deliveries_sweep", SCHEDULER_TICK_SECONDS),
    ("sombrilla.core.scheduler.task_results_prune", 3600),
    # Expired sessions are deleted within the hour.
    ("sombrilla.accounts.sessions.sessions_purge", 3600),
    # Retention: expired alerts, police alerts and rejected reports are deleted within the hour.
    ("sombrilla.alerts.tasks.alerts_purge_enqueue", 3600),
    # Check-in deadlines: each step fires within one tick of its due time, from the database.
    ("sombrilla.checkins.services.plans_fire_due", SCHEDULER_TICK_SECONDS),
    ("sombrilla.checkins.tasks.plans_purge_enqueue", 600),
    # Referral requests answered or closed 90 days ago are deleted within the hour.
    ("sombrilla.directory.tasks.referrals_purge_enqueue", 3600),
]

NINJA_PAGINATION_PER_PAGE = 50

# Logs name no person and no address: the formatter has no client fields, and the client address
# is removed from every request before any app code or logger sees it (core.middleware).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}

CSRF_FAILURE_VIEW = "sombrilla.core.views.csrf_failure"
