"""A minimal Django project serving django-helpdesk and its DRF ticket API, for the benchmark.

Configured the way a production deployment would be, so the peer is measured at its best:
DEBUG off, persistent database connections, SQLite in WAL mode (as Ticketry runs it), JSON
rendering only, and DRF token authentication (one indexed lookup per request, no password
hash). The database file comes from HELPDESK_PEER_DB."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# A fixed key: this project only ever serves a local benchmark on 127.0.0.1.
SECRET_KEY = os.environ.get("HELPDESK_PEER_SECRET_KEY", "bench-only-not-a-secret-" + "x" * 40)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.humanize",
    "django.contrib.sites",  # mail about a new ticket links to it through the current Site
    "rest_framework",
    "rest_framework.authtoken",
    "helpdesk",
    "helpdesk_peer",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]

SITE_ID = 1
ROOT_URLCONF = "helpdesk_peer.urls"
WSGI_APPLICATION = "helpdesk_peer.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("HELPDESK_PEER_DB", str(BASE_DIR / "helpdesk.db")),
        "CONN_MAX_AGE": None,
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL",
            "transaction_mode": "IMMEDIATE",
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = True
STATIC_URL = "static/"
MEDIA_ROOT = os.environ.get("HELPDESK_PEER_MEDIA", str(BASE_DIR / "media"))

# New tickets send notification mail; nothing leaves the machine.
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.com"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # The ticket viewset sets no filter backends of its own, so this gives its list the
    # `ordering` parameter (over its serializer's fields) next to its own `status` filter.
    "DEFAULT_FILTER_BACKENDS": ["rest_framework.filters.OrderingFilter"],
}

# django-helpdesk: the API on, teams off (they need pinax-teams), no outgoing webhooks. The
# knowledge base stays on: helpdesk/urls.py of 2.6.1 names its views whatever this says.
HELPDESK_API_ENABLED = True
HELPDESK_TEAMS_MODE_ENABLED = False
HELPDESK_GET_NEW_TICKET_WEBHOOK_URLS = lambda: []  # noqa: E731
HELPDESK_GET_FOLLOWUP_WEBHOOK_URLS = lambda: []  # noqa: E731

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
