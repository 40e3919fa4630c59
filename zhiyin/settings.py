"""Zhiyin settings: one module, every value from the environment, defaults that run locally.

Defaults give a working development system on SQLite with a local media folder. In
production set at least `DEBUG=false`, `SECRET_KEY` (or `SECRET_KEY_FILE`) and
`ALLOWED_HOSTS`; see README.md for the full list.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from zhiyin import wiring
from zhiyin.lib.env import (
    env_bool,
    env_choice,
    env_int,
    env_int_list,
    env_json_object,
    env_list,
    env_path,
    env_str,
    env_url,
)
from zhiyin.lib.pki import kek_derive_development, kek_list_parse

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)
_DEV_SECRET = "django-insecure-zhiyin-development-only-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off.")
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("SECRET_KEY is the development key; set a real one for DEBUG=false.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "zhiyin.orgs.errorpages.csrf_failure"

# The fixed wiring (zhiyin/wiring.py): copies, so a settings module built on this one may
# change its own lists.
INSTALLED_APPS = list(wiring.INSTALLED_APPS)
MIDDLEWARE = list(wiring.MIDDLEWARE)
TEMPLATES = copy.deepcopy(wiring.TEMPLATES)
WORKER_DUTIES = list(wiring.WORKER_DUTIES)
WORKER_ALERT_RECIPIENTS = wiring.WORKER_ALERT_RECIPIENTS
WORKER_CLAIM_RELEASERS = list(wiring.WORKER_CLAIM_RELEASERS)
DEMO_PLACES_LOADERS = list(wiring.DEMO_PLACES_LOADERS)
DEMO_LOADERS = list(wiring.DEMO_LOADERS)


ROOT_URLCONF = "zhiyin.urls"
WSGI_APPLICATION = "zhiyin.wsgi.application"

# Form widgets render through the project's templates, which override two of Django's:
# an empty choice reads 请选择 (not "---------"), an optional field's label says 选填.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"


# --- Database -------------------------------------------------------------------------
_DEFAULT_DB = f"sqlite:///{BASE_DIR / 'var' / 'zhiyin.sqlite3'}"
_database_url = env_str("DATABASE_URL", _DEFAULT_DB)
#: Seconds a connection is kept between requests (persistent connections); PostgreSQL with
#: DB_POOL on uses the pool instead and ignores this.
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 600)
try:
    _db = dj_database_url.parse(
        _database_url, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=True
    )
except ValueError as exc:
    raise ImproperlyConfigured(
        f"DATABASE_URL={_database_url!r} is not a database URL: {exc}"
    ) from exc
#: How long a SQLite writer waits for the write lock before "database is locked".
DB_BUSY_TIMEOUT_MS = env_int("DB_BUSY_TIMEOUT_MS", 10000, minimum=0)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer commits; IMMEDIATE takes the write lock at
    # BEGIN so two writers queue instead of failing half-way with "database is locked".
    _db["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            f"PRAGMA busy_timeout={DB_BUSY_TIMEOUT_MS};"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": DB_BUSY_TIMEOUT_MS / 1000,
    }
    Path(str(_db["NAME"])).parent.mkdir(parents=True, exist_ok=True)
elif _db["ENGINE"] == "django.db.backends.postgresql":
    # A psycopg connection pool per process (Django 5.1+): each request borrows a
    # connection instead of opening one. Django refuses a pool with persistent connections.
    if env_bool("DB_POOL", True):
        _db["CONN_MAX_AGE"] = 0
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DB_POOL_MIN_SIZE", 2, minimum=0),
            "max_size": env_int("DB_POOL_MAX_SIZE", 10, minimum=1),
            "timeout": env_int("DB_POOL_TIMEOUT", 30, minimum=1),
        }
else:
    raise ImproperlyConfigured(
        f"DATABASE_URL uses {_db['ENGINE']!r}; Zhiyin supports sqlite:// and postgres:// URLs."
    )
#: Behind pgbouncer in transaction mode a server-side cursor cannot outlive its
#: transaction: turn them off (docs/scale.md).
if env_bool("DB_DISABLE_SERVER_SIDE_CURSORS", False):
    _db["DISABLE_SERVER_SIDE_CURSORS"] = True
DATABASES = {"default": _db}
#: A streaming replica of the primary for reads that may be a moment stale (statistics,
#: ledgers, public verification look-ups, trace pages); see zhiyin/core/replica.py.
_replica_url = env_str("DATABASE_REPLICA_URL", "")
if _replica_url:
    try:
        _replica = dj_database_url.parse(
            _replica_url, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=True
        )
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_URL={_replica_url!r} is not a database URL: {exc}"
        ) from exc
    if _replica["ENGINE"] != _db["ENGINE"] or _db["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs a PostgreSQL primary and replica.")
    for _key in ("OPTIONS", "CONN_MAX_AGE", "DISABLE_SERVER_SIDE_CURSORS"):
        if _key in _db:
            _replica[_key] = copy.deepcopy(_db[_key])
    # Tests run against the primary's test database under both names.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["zhiyin.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- People ---------------------------------------------------------------------------
AUTH_USER_MODEL = "orgs.Person"
AUTHENTICATION_BACKENDS = [
    # First, so a locked account or address is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "zhiyin.orgs.auth.PhoneOrUsernameBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
#: Password policy for everyone who sets a password (zhiyin/accounts/passwords.py): length,
#: character classes, nothing like the login name / phone / name, no recent password.
PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 10, minimum=8)
PASSWORD_CHARACTER_CLASSES = min(env_int("PASSWORD_CHARACTER_CLASSES", 3, minimum=1), 4)
PASSWORD_HISTORY = env_int("PASSWORD_HISTORY", 5, minimum=1)
#: Staff change a password older than this at their next request (0: never expires).
PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 90, minimum=0)
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "phone", "real_name", "email")},
    },
    {"NAME": "zhiyin.accounts.passwords.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "zhiyin.accounts.passwords.CharacterClassesValidator"},
    {"NAME": "zhiyin.accounts.passwords.PersonalInfoValidator"},
    {"NAME": "zhiyin.accounts.passwords.PasswordHistoryValidator"},
]
#: Login-failure handling (django-axes; see zhiyin/accounts/lockout.py): after this many
#: wrong passwords for one account it is locked; an address (which a whole office may share
#: behind one router) is locked after its own, larger number of failures.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 30, minimum=1)
AXES_HANDLER = "zhiyin.accounts.lockout.AccountAndAddressHandler"
#: How long a lockout lasts unless an admin clears it first.
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "zhiyin.accounts.lockout.login_name_canonical"
AXES_CLIENT_IP_CALLABLE = "zhiyin.accounts.lockout.client_address"
AXES_LOCKOUT_CALLABLE = "zhiyin.accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
#: Sealing and authorizing a terminal need a second factor entered within this many seconds.
STEP_UP_SECONDS = env_int("STEP_UP_SECONDS", 300, minimum=30)
#: Staff (anyone with a role other than resident) unused this long are signed out.
STAFF_IDLE_MINUTES = env_int("STAFF_IDLE_MINUTES", 15, minimum=1)
#: The name authenticator apps show for Zhiyin accounts.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "智印 Zhiyin")
#: Security keys and platform authenticators (WebAuthn, django-otp-webauthn) as a second
#: factor beside the authenticator app. The relying-party ID is the host name staff type
#: in the browser (no port, no scheme; an IP address cannot be one), and every origin the
#: site is reached at must be listed: a key registered under one RP ID works only there.
OTP_WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID", "localhost")
OTP_WEBAUTHN_RP_NAME = env_str("WEBAUTHN_RP_NAME", "智印 Zhiyin")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list("WEBAUTHN_ORIGINS", ["http://localhost:8000"])
#: A key is a second factor only: the password always comes first.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Security (a government service: 等保2.0 level 3 expectations) ---------------------
SECURE_BEHIND_HTTPS = env_bool("SECURE_BEHIND_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_BEHIND_HTTPS
CSRF_COOKIE_SECURE = SECURE_BEHIND_HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=300)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if SECURE_BEHIND_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # A load balancer probes /healthz over plain HTTP on the private side.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

# --- Language and time ----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Files ----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env_path("STATIC_ROOT", BASE_DIR / "var" / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env_path("MEDIA_ROOT", BASE_DIR / "var" / "media")
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
if env_str("S3_BUCKET", ""):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET", ""),
            "endpoint_url": env_str("S3_ENDPOINT_URL", "") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID", ""),
            "secret_key": env_str("S3_SECRET_ACCESS_KEY", ""),
            "region_name": env_str("S3_REGION", "") or None,
        },
    }

# --- Background work ------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
#: Seconds between a worker's heartbeats.
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 10, minimum=1)
#: A worker silent this long is gone: what it held is released to the others. /healthz
#: wants at least one worker beating within this window.
WORKER_LEASE_SECONDS = env_int("WORKER_LEASE_SECONDS", 60, minimum=2 * WORKER_HEARTBEAT_SECONDS + 1)
#: Admins are notified when no worker has beaten for this long.
WORKER_ALERT_SECONDS = env_int("WORKER_ALERT_SECONDS", 300, minimum=WORKER_LEASE_SECONDS)
#: Longest wait between retries while the database is unavailable.
WORKER_BACKOFF_MAX_SECONDS = env_int("WORKER_BACKOFF_MAX_SECONDS", 60, minimum=1)
#: Runs a task row gets when its worker dies under it, before it is marked failed.
WORKER_TASK_MAX_ATTEMPTS = env_int("WORKER_TASK_MAX_ATTEMPTS", 3, minimum=1)
#: Finished task rows are kept this long (pruned hourly).
WORKER_TASK_RESULTS_KEEP_SECONDS = env_int("WORKER_TASK_RESULTS_KEEP_SECONDS", 86400, minimum=60)
#: Rendered page images (approvers' inline reading, the verification thumbnail) under
#: MEDIA_ROOT/cache/pages/ go when not looked at for this many days, and the least
#: recently looked-at go first while the cache is above this many MB (pruned hourly by
#: the worker; a pruned image is rendered again on its next view).
PAGE_IMAGE_CACHE_MAX_AGE_DAYS = env_int("PAGE_IMAGE_CACHE_MAX_AGE_DAYS", 30, minimum=1)
PAGE_IMAGE_CACHE_MAX_MB = env_int("PAGE_IMAGE_CACHE_MAX_MB", 1024, minimum=1)

# --- Mail -----------------------------------------------------------------------------
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("SMTP_HOST", "")
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env_str("SMTP_HOST", "localhost")
EMAIL_PORT = env_int("SMTP_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("SMTP_USER", "")
EMAIL_HOST_PASSWORD = env_str("SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("SMTP_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "zhiyin@localhost")

# --- Logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
    },
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

#: (dotted path of a task, seconds between runs), enqueued by `manage.py run_worker`.
PERIODIC_TASKS: list[tuple[str, int]] = [
    ("zhiyin.approvals.tasks.overdue_sweep", env_int("OVERDUE_SWEEP_SECONDS", 300, minimum=10)),
]

# --- Approvals ------------------------------------------------------------------------
#: Office hours that count toward step time limits (审核时效), in TIME_ZONE, e.g.
#: WORKING_HOURS="08:00-12:00,14:30-17:30". Which days count comes from the official calendar.
_working_hours = env_str("WORKING_HOURS", "08:00-12:00,14:30-17:30")
try:
    WORKING_HOURS: list[tuple[str, str]] = [
        (start.strip(), end.strip())
        for start, end in (part.split("-") for part in _working_hours.split(","))
    ]
    for _start, _end in WORKING_HOURS:
        if not dt.time.fromisoformat(_start) < dt.time.fromisoformat(_end):
            raise ValueError(f"{_start} is not before {_end}")
except ValueError as exc:
    raise ImproperlyConfigured(
        f"WORKING_HOURS={_working_hours!r} must look like 08:00-12:00,14:30-17:30 ({exc})."
    ) from exc
#: Largest document or attachment a request may carry, in bytes.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
#: Largest image (width × height, in pixels) an upload may have; checked from the file's
#: header before any decoding, so a small "decompression bomb" is refused cheaply.
UPLOAD_MAX_IMAGE_PIXELS = env_int("UPLOAD_MAX_IMAGE_PIXELS", 40_000_000, minimum=10_000)
#: Uploaded files that no row names are removed once they are this old (crash leftovers).
PERIODIC_TASKS.append(("zhiyin.approvals.tasks.uploads_sweep", 3600))
#: How often an applicant may send a reminder (催办) for the same step.
REMINDER_INTERVAL_SECONDS = env_int("REMINDER_INTERVAL_SECONDS", 2 * 3600, minimum=0)

# --- Resident portal ------------------------------------------------------------------
#: Judge service rules (application seasons) as on this date (YYYY-MM-DD) instead of
#: today: for training systems, and for tests that must pass in any month.
_service_date = env_str("PORTAL_SERVICE_DATE", "")
try:
    PORTAL_SERVICE_DATE = dt.date.fromisoformat(_service_date) if _service_date else None
except ValueError as exc:
    raise ImproperlyConfigured(
        f"PORTAL_SERVICE_DATE={_service_date!r} is not a date (YYYY-MM-DD)."
    ) from exc

#: Login through the citizen app (OIDC): a JSON object (or PORTAL_OIDC_FILE) with name,
#: issuer, client_id, client_secret, authorization_endpoint, token_endpoint, jwks_uri,
#: scope, id_claim; unset = off.
PORTAL_OIDC = env_json_object(
    "PORTAL_OIDC",
    required_keys=(
        "issuer",
        "client_id",
        "client_secret",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
    ),
)
#: Where a form's known answers come from, first wins (dotted paths of PrefillSource).
PORTAL_PREFILL_SOURCES = env_list(
    "PORTAL_PREFILL_SOURCES",
    ["zhiyin.portal.prefill.RegisterPrefillSource", "zhiyin.portal.prefill.ProfilePrefillSource"],
)

#: Largest register file (.xlsx or CSV) the district admin may import, in bytes; a larger
#: file is refused whole, never cut.
REGISTER_IMPORT_MAX_BYTES = env_int("REGISTER_IMPORT_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)

#: Where staff pages (request page, trace) learn whether residents see officials' names.
OFFICIAL_NAMES_SHOWN_CHECK = "zhiyin.portal.selectors.official_names_shown"

# --- Audit log ------------------------------------------------------------------------
PERIODIC_TASKS.append(("zhiyin.audit.tasks.checkpoint_build", 600))
#: Name of this log in its signed checkpoints (C2SP origin line and key name).
AUDIT_LOG_ORIGIN = env_str("AUDIT_LOG_ORIGIN", "zhiyin.example/audit")
#: Ed25519 checkpoint key: PEM or base64 seed; also AUDIT_SIGNING_KEY_FILE.
AUDIT_SIGNING_KEY = env_str("AUDIT_SIGNING_KEY", "")
#: Development only (DEBUG on, no key set): where a generated key is kept.
AUDIT_DEV_KEY_PATH = BASE_DIR / "var" / "audit-signing-key.pem"
if not DEBUG and not AUDIT_SIGNING_KEY:
    raise ImproperlyConfigured(
        "AUDIT_SIGNING_KEY (or AUDIT_SIGNING_KEY_FILE) must be set when DEBUG is off: "
        "it signs the audit checkpoints."
    )

# --- Electronic seals -----------------------------------------------------------------
#: Key-encryption key for seal private keys: 32 bytes as 64 hex digits or base64, in
#: SEAL_KEK or a file named by SEAL_KEK_FILE. Without one, DEBUG derives a development key
#: from SECRET_KEY (and logs a warning); DEBUG=false refuses to start. During a rotation
#: SEAL_KEK lists several keys separated by commas, the new one first: keys are sealed
#: under the first and opened under any (`manage.py seal_kek_rotate`, docs/operator.md).
_seal_kek = env_str("SEAL_KEK", "")
SEAL_KEK_DEVELOPMENT = not _seal_kek
if _seal_kek:
    try:
        SEAL_KEKS = kek_list_parse(_seal_kek)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"SEAL_KEK (or SEAL_KEK_FILE) must be 32 bytes as 64 hex digits or base64 "
            f"(several separated by commas during a rotation): {exc}."
        ) from exc
elif DEBUG:
    SEAL_KEKS = [kek_derive_development(SECRET_KEY)]
else:
    raise ImproperlyConfigured(
        "SEAL_KEK (or SEAL_KEK_FILE) must be set when DEBUG is off: it encrypts the seal keys."
    )
#: The current key-encryption key (the first of SEAL_KEKS).
SEAL_KEK = SEAL_KEKS[0]
#: The public address of this site, printed in QR codes and seal certificates (CRL URL).
# Defaults to the port the server is started on (make run exports PORT), so the QR codes
# of a demo served on another port still open.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", f"http://127.0.0.1:{env_str('PORT', '8000')}").rstrip(
    "/"
)
#: RFC 3161 timestamp authority for PAdES B-T; empty means B-B signatures.
SEAL_TIMESTAMP_URL = env_str("SEAL_TIMESTAMP_URL", "")

# --- Delivery and notifications -------------------------------------------------------
PERIODIC_TASKS.append(
    ("zhiyin.delivery.tasks.outbox_dispatch", env_int("OUTBOX_DISPATCH_SECONDS", 5, minimum=1))
)
#: A bureau endpoint must answer 2xx within this many seconds.
DELIVERY_TIMEOUT_SECONDS = env_int("DELIVERY_TIMEOUT_SECONDS", 15, minimum=1)
#: Seconds to wait before each attempt (Standard Webhooks schedule); then it fails.
DELIVERY_RETRY_SCHEDULE = env_int_list(
    "DELIVERY_RETRY_SCHEDULE", [0, 5, 300, 1800, 7200, 18000, 36000, 36000], minimum=0
)
#: Enqueue an outbox run right after a change commits (the 0 s first attempt); off, the
#: periodic pass (OUTBOX_DISPATCH_SECONDS) delivers.
DELIVERY_KICK_WORKER = env_bool("DELIVERY_KICK_WORKER", True)
#: How long a worker holds a claimed message; after that another worker may take it.
DELIVERY_LEASE_SECONDS = env_int(
    "DELIVERY_LEASE_SECONDS",
    2 * DELIVERY_TIMEOUT_SECONDS + 30,
    minimum=DELIVERY_TIMEOUT_SECONDS + 1,
)
#: Lifetime of the signed document download links sent to bureaus.
DELIVERY_LINK_MAX_AGE_SECONDS = env_int("DELIVERY_LINK_MAX_AGE_SECONDS", 7 * 86400, minimum=60)
#: An endpoint whose every attempt has failed for this long is switched off.
DELIVERY_DISABLE_AFTER_SECONDS = env_int("DELIVERY_DISABLE_AFTER_SECONDS", 3 * 86400, minimum=60)
NOTIFICATION_CHANNELS = env_list(
    "NOTIFICATION_CHANNELS",
    [
        "zhiyin.delivery.channels.InAppChannel",
        "zhiyin.delivery.channels.EmailChannel",
        "zhiyin.delivery.channels.SmsChannel",
        "zhiyin.delivery.channels.StaffPlatformChannel",
    ],
)
#: SMS provider (an SmsSender of zhiyin.delivery.sms): the console one only prints and is
#: refused when DEBUG is off; HttpSmsSender posts to a signed-HTTP gateway.
SMS_SENDER = env_str("SMS_SENDER", "zhiyin.delivery.sms.ConsoleSmsSender")
#: The gateway of HttpSmsSender: its URL, account key and signing secret.
SMS_GATEWAY_URL = env_url("SMS_GATEWAY_URL", "")
SMS_GATEWAY_KEY = env_str("SMS_GATEWAY_KEY", "")
SMS_GATEWAY_SECRET = env_str("SMS_GATEWAY_SECRET", "")
#: Seconds one gateway call may take, and tries per message on connection errors / 5xx.
SMS_GATEWAY_TIMEOUT_SECONDS = env_int("SMS_GATEWAY_TIMEOUT_SECONDS", 10, minimum=1)
SMS_GATEWAY_ATTEMPTS = env_int("SMS_GATEWAY_ATTEMPTS", 2, minimum=1)
#: The SMS sender of residents' login codes (portal); by default the one above.
PORTAL_CODE_SENDER = env_str("PORTAL_CODE_SENDER", SMS_SENDER)
#: Staff platform (政务工作平台 / DingTalk-style robot) webhook for work notices; empty = off.
STAFF_PLATFORM_WEBHOOK_URL = env_str("STAFF_PLATFORM_WEBHOOK_URL", "")
STAFF_PLATFORM_WEBHOOK_SECRET = env_str("STAFF_PLATFORM_WEBHOOK_SECRET", "")

# Resident portal: mirror seal-request progress onto applications (and tell residents).
PERIODIC_TASKS.append(("zhiyin.portal.tasks.applications_sync", 60))

# --- Oversight ------------------------------------------------------------------------
#: Told of every new audit event inside its transaction (dotted paths of callables).
AUDIT_SUBSCRIBERS: list[str] = env_list(
    "AUDIT_SUBSCRIBERS", ["zhiyin.oversight.rules.on_audit_event"]
)
PERIODIC_TASKS.append(
    ("zhiyin.oversight.tasks.warning_sweep", env_int("WARNING_SWEEP_SECONDS", 600, minimum=10))
)
# --- Smart seal terminals -------------------------------------------------------------
#: A terminal whose clock differs from ours by more than this raises a clock_skew alarm.
DEVICE_CLOCK_SKEW_SECONDS = env_int("DEVICE_CLOCK_SKEW_SECONDS", 120, minimum=1)
#: Session messages (hello, poll, photo) further off than this are refused as stale.
DEVICE_SESSION_WINDOW_SECONDS = env_int("DEVICE_SESSION_WINDOW_SECONDS", 3600, minimum=60)
#: A terminal silent for this many hours raises an offline alarm.
DEVICE_OFFLINE_HOURS = env_int("DEVICE_OFFLINE_HOURS", 24, minimum=1)
#: Working days within which an emergency opening (先行用章) must be approved.
DEVICE_EMERGENCY_APPROVE_DAYS = env_int("DEVICE_EMERGENCY_APPROVE_DAYS", 3, minimum=1)
#: MQTT 5 broker for terminal fleets, e.g. mqtts://broker:8883; empty = HTTPS only.
MQTT_URL = env_str("MQTT_URL", "")
#: Client certificate, key and CA for the server's MQTT connection (PEM files).
MQTT_CLIENT_CERT = env_str("MQTT_CLIENT_CERT", "")
MQTT_CLIENT_KEY = env_str("MQTT_CLIENT_KEY", "")
MQTT_CA_CERT = env_str("MQTT_CA_CERT", "")
#: Topic prefix; a terminal uses <prefix>/dev/<serial>/...
MQTT_TOPIC_PREFIX = env_str("MQTT_TOPIC_PREFIX", "zhiyin")
PERIODIC_TASKS.append(("zhiyin.devices.tasks.devices_sweep", 60))
