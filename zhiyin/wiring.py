"""The project's fixed wiring: which apps, middleware and template processors run, the
worker's duties and the demo loaders. Nothing here comes from the environment (that is
zhiyin/settings.py, which imports these by name); changing this file changes the program.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django_tasks",
    "django_tasks_db",
    "zhiyin.audit",
    "zhiyin.worker",
    "zhiyin.orgs",
    "zhiyin.seals",
    "zhiyin.catalog",
    "zhiyin.delivery",
    "zhiyin.approvals",
    "zhiyin.sealing",
    "zhiyin.devices",
    "zhiyin.portal",
    "zhiyin.oversight",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "zhiyin.accounts",
    "django_otp_webauthn",
    "zhiyin.workspace",
    "zhiyin.province",
    "zhiyin.backup",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "zhiyin.orgs.middleware.TextGZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "zhiyin.audit.context.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "zhiyin.accounts.sessions.StaffSessionMiddleware",
    "zhiyin.orgs.middleware.RefuseNulCharactersMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "zhiyin.accounts.middleware.SecondFactorMiddleware",
    "zhiyin.accounts.middleware.PasswordExpiryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "zhiyin.orgs.middleware.ContentSecurityPolicyMiddleware",
    "zhiyin.audit.middleware.AccessDeniedAuditMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Form widgets render through the project's templates (see FORM_RENDERER in settings).
TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zhiyin.workspace.context_processors.menu",
                "zhiyin.workspace.context_processors.display",
            ],
        },
    },
]

#: Factories of the worker's duties besides queued tasks (see zhiyin/worker/loop.py).
WORKER_DUTIES: list[str] = [
    "zhiyin.worker.duties.periodic_tasks",
    "zhiyin.worker.duties.stale_claims",
    "zhiyin.worker.duties.prune_finished",
    "zhiyin.worker.duties.prune_page_images",
    "zhiyin.devices.duties.mqtt_bridge",  # only when MQTT_URL is set
]
#: Who is told when background work stops (a function returning people).
WORKER_ALERT_RECIPIENTS = "zhiyin.orgs.selectors.district_admins_everywhere"
#: Functions releasing claims held by gone workers: f(*, worker_ids, now) -> rows released.
WORKER_CLAIM_RELEASERS: list[str] = ["zhiyin.delivery.outbox.outbox_release"]

#: Each app's demo data, loaded in this order by `manage.py load_demo` after the places.
#: Run by `load_demo` right after the places and people (even with --places-only).
DEMO_PLACES_LOADERS: list[str] = ["zhiyin.seals.demo.seals_demo_load"]

DEMO_LOADERS: list[str] = [
    "zhiyin.catalog.demo.catalog_demo_load",
    "zhiyin.portal.demo.portal_demo_load",
    "zhiyin.approvals.demo.approvals_demo_load",
    "zhiyin.sealing.demo.sealing_demo_load",
    "zhiyin.devices.demo.devices_demo_load",
    "zhiyin.accounts.demo.accounts_demo_load",
    # After the approvals and sealing demos, which skip a village that already has requests.
    "zhiyin.portal.demo.resident_application_demo_load",
    # Before the audit loader, so its checkpoint covers the demo warnings too.
    "zhiyin.oversight.demo.oversight_demo_load",
    "zhiyin.audit.demo.audit_demo_load",
]
