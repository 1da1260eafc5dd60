"""Django settings for khabar, read from the environment (see .env.example)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from khabar.lib.env import (
    ConfigError,
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_origins,
    env_rate,
    env_str,
)
from khabar.lib.storage import media_origin, media_storage

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("KHABAR_VAR_DIR", str(BASE_DIR / "var")))

# "development" allows a generated secret and loopback hosts; "production" requires them set.
KHABAR_ENV = env_str("KHABAR_ENV", "development")
if KHABAR_ENV not in {"development", "production", "test"}:
    raise ConfigError("KHABAR_ENV must be development, production or test")
PRODUCTION = KHABAR_ENV == "production"
DEBUG = env_bool("DEBUG", False)

if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY")
else:
    SECRET_KEY = env_str("SECRET_KEY", "development-only-not-secret-" + "k" * 40)

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "khabar.site",
    "khabar.articles",
    "khabar.comments",
    "khabar.search",
    "khabar.syndication",
    "khabar.photos",
    "khabar.analytics",
    # Pushes stories to subscribers (webhook, SFTP, email) through an outbox the worker sends.
    "khabar.distribution",
    # Live stories (timestamped updates streamed to readers) and the urgent ticker.
    "khabar.live",
    # The desk's home (the newsroom's queue), wire import and flashes; the top layer.
    "khabar.desk",
    # Before the admin: the desk's login page with the optional one-time code.
    "khabar.security",
    # The one background worker (``khabar run_worker``): queued tasks and periodic jobs.
    "khabar.worker",
    # Imports a WordPress export (``khabar import_wxr``): stories, comments, featured images.
    "khabar.wordpress",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "reversion",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    # CORS for the comment widget on the sites that embed it (CORS_* below).
    "corsheaders",
]

MIDDLEWARE = [
    # Counts and times every request that reaches Django (/metrics).
    "khabar.health.MetricsMiddleware",
    # Before anything that answers (as its docs ask), and outside the page cache: no stored
    # page ever carries one site's Access-Control-Allow-Origin; each answer gets its own.
    "corsheaders.middleware.CorsMiddleware",
    "khabar.site.pagecache.PageCacheMiddleware",
    # A database that is down or restarting answers 503 with a message, not a traceback.
    "khabar.security.middleware.DatabaseUnavailableMiddleware",
    # Readers' reads from the replica (DATABASE_REPLICA_URL); after the one above, whose
    # 503 it turns into the page from the primary when the replica fails mid-request.
    "khabar.site.dbrouting.ReplicaMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "khabar.site.middleware.EditionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Django's messages middleware, its storage made only when a page uses it.
    "khabar.site.middleware.LazyMessageMiddleware",
    # KHABAR_REQUIRE_TWO_FACTOR: desk staff set up two-factor sign-in before anything else.
    "khabar.security.middleware.TwoFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "khabar.site.middleware.SecurityHeadersMiddleware",
    # The API's 405s, which django-ninja writes itself, in its one error shape.
    "khabar.api.MethodNotAllowedShape",
    # Last, as django-axes asks: it turns a locked-out login into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "khabar.urls"
WSGI_APPLICATION = "khabar.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "khabar.site.context_processors.edition",
                "khabar.articles.context_processors.sections",
            ],
            # {% extends %} that lists its root template's blocks once, not on every render.
            "builtins": ["khabar.site.templatetags.khabar_extends"],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "khabar.lib.sqlite",
            # Kept open per app thread: opening one costs more than a small request
            # (the schema is read again, the page cache starts cold).
            "CONN_MAX_AGE": env_int("KHABAR_SQLITE_CONN_MAX_AGE", 600),
            # Django's default for SQLite, said out loud: test runners recognise the
            # in-memory database by it, not by this backend's name.
            "TEST": {"NAME": ":memory:"},
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "khabar.sqlite3")),
            "OPTIONS": {
                # Writers take the lock at BEGIN (after queueing for it: khabar.lib.sqlite),
                # never half-way through a transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA temp_store=MEMORY;"
                    "PRAGMA mmap_size=134217728;"
                    "PRAGMA cache_size=-20000;"
                ),
            },
        }
    }
# A PostgreSQL streaming replica of DATABASE_URL: readers' reads go to it, writes and the
# reads of a client that just wrote to the primary (khabar/site/dbrouting.py).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    if not DATABASE_URL:
        raise ConfigError("DATABASE_REPLICA_URL needs DATABASE_URL (the primary) set")
    DATABASES["replica"] = database_from_url(DATABASE_REPLICA_URL)
    # A replica that does not answer is bypassed; waiting long for it would hold readers.
    DATABASES["replica"]["OPTIONS"]["connect_timeout"] = 2
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["khabar.site.dbrouting.ReplicaRouter"]
# Reads go to the primary while the replica replays more than this many seconds behind…
KHABAR_REPLICA_MAX_LAG = env_int("KHABAR_REPLICA_MAX_LAG", 5)
# …measured at most this often per process (and a replica that failed is retried as often)…
KHABAR_REPLICA_CHECK_SECONDS = env_int("KHABAR_REPLICA_CHECK_SECONDS", 2)
# …and a client that wrote reads from the primary for this long (read-your-writes).
KHABAR_REPLICA_PIN_SECONDS = env_int("KHABAR_REPLICA_PIN_SECONDS", 15)
if KHABAR_REPLICA_PIN_SECONDS < KHABAR_REPLICA_MAX_LAG + KHABAR_REPLICA_CHECK_SECONDS:
    raise ConfigError(
        "KHABAR_REPLICA_PIN_SECONDS must cover KHABAR_REPLICA_MAX_LAG and"
        " KHABAR_REPLICA_CHECK_SECONDS: a writer would read the replica before it has the write"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background tasks (django-tasks, the backport of Django 6's django.tasks) wait in a table of
# the same database and are run by the one worker, ``khabar run_worker``.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

REDIS_URL = env_str("REDIS_URL", "")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis down is a cache miss for pages; rate limits fail closed (comments/ratelimit).
            "BACKEND": "khabar.site.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "khabar",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "khabar",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
CACHES["fragments"] = {
    # Django's local-memory cache that keeps rendered fragments unpickled (khabar/site/cache.py).
    "BACKEND": "khabar.site.cache.ProcessCache",
    "LOCATION": "khabar-fragments",
    "TIMEOUT": 600,
    "OPTIONS": {"MAX_ENTRIES": 2000},
}

# Whole-page cache for anonymous readers (khabar/site/pagecache.py) and the proxies to purge.
KHABAR_PAGECACHE = env_bool("KHABAR_PAGECACHE", KHABAR_ENV != "test")
KHABAR_PAGECACHE_PATH = env_str("KHABAR_PAGECACHE_PATH", str(VAR_DIR / "pagecache.sqlite3"))
KHABAR_PROXY_PURGE_URLS = env_list("KHABAR_PROXY_PURGE_URLS", [])
# Rendered parts of story pages, kept in each process under the page's purge generation.
KHABAR_FRAGMENT_CACHE = env_bool("KHABAR_FRAGMENT_CACHE", KHABAR_ENV != "test")
# Live stories' server-sent events. An open stream would hold one of the app's one-request
# workers for its length, so production serves them from a dedicated asyncio process
# (khabar/live/asgi.py, started by ops.topology, routed by nginx: deploy/README.md) and turns
# streams on when one is configured; without it pages poll the cached updates instead.
KHABAR_LIVE_STREAM_PROCESS = env_bool("KHABAR_LIVE_STREAM_PROCESS", False)
KHABAR_LIVE_STREAM = env_bool("KHABAR_LIVE_STREAM", not PRODUCTION or KHABAR_LIVE_STREAM_PROCESS)
# Streams one stream process holds; past it a reader is answered 503 and polls.
KHABAR_LIVE_STREAM_MAX = env_int("KHABAR_LIVE_STREAM_MAX", 2000)
# Seconds a stream stays open before the browser reconnects from its last event, and between
# its keep-alive comments (nginx's read timeout for /live/ outlasts them: 60 s).
KHABAR_LIVE_HOLD = env_int("KHABAR_LIVE_HOLD", 25)
KHABAR_LIVE_HEARTBEAT = env_int("KHABAR_LIVE_HEARTBEAT", 10)

# Addresses of the reverse proxies whose forwarded header (a META key) names the client;
# comments, the login throttle and read counts all ask khabar.site.clientip.
KHABAR_TRUSTED_PROXIES = env_list("KHABAR_TRUSTED_PROXIES", [])
KHABAR_CLIENT_IP_HEADER = env_str("KHABAR_CLIENT_IP_HEADER", "HTTP_X_FORWARDED_FOR")

# django-axes sees every login first and refuses one that is locked out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling: this many failures for one user name from one address lock it out
# for KHABAR_LOGIN_LOCKOUT_MINUTES.
AXES_ENABLED = env_bool("KHABAR_LOGIN_THROTTLE", True)
AXES_FAILURE_LIMIT = env_int("KHABAR_LOGIN_FAILURES", 5)
AXES_COOLOFF_TIME = env_int("KHABAR_LOGIN_LOCKOUT_MINUTES", 30) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "security/locked_out.html"
# The same client address as the comment rate limits: REMOTE_ADDR unless a trusted proxy.
AXES_CLIENT_IP_CALLABLE = "khabar.security.auth.client_ip"
# No log of every successful login with its address; failures are kept only until purged.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Editions: the language code is the URL prefix. Another edition is added here or through
# KHABAR_EDITIONS_EXTRA (JSON), plus a translation catalogue; see README "Editions".
LANGUAGE_CODE = "ar"
LOCALE_PATHS = [BASE_DIR / "khabar" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
KHABAR_EDITIONS = {
    "ar": {
        "name": "العربية",
        "site_name": "خبر",
        "direction": "rtl",
        "time_zone": env_str("KHABAR_AR_TIME_ZONE", "Asia/Tehran"),
        "digits": env_str("KHABAR_AR_DIGITS", "western"),
        "month_style": env_str("KHABAR_AR_MONTH_STYLE", "both"),
        "agency": "ارنا",
        # The name in the footer's copyright line (the dateline uses "agency").
        "agency_name": env_str("KHABAR_AGENCY_NAME", "وكالة خبر"),
    },
    "fa": {
        "name": "فارسی",
        "site_name": "خبر",
        "direction": "rtl",
        "time_zone": env_str("KHABAR_FA_TIME_ZONE", "Asia/Tehran"),
        "digits": env_str("KHABAR_FA_DIGITS", "persian"),
        "month_style": "solar",
        "agency": "ایرنا",
        "agency_name": "خبرگزاری خبر",
    },
    "en": {
        "name": "English",
        "site_name": "Khabar",
        "direction": "ltr",
        "time_zone": env_str("KHABAR_EN_TIME_ZONE", "Asia/Tehran"),
        "digits": "western",
        "month_style": "gregorian",
        "agency": "IRNA",
        "agency_name": "Khabar News Agency",
    },
}
try:
    _extra = json.loads(env_str("KHABAR_EDITIONS_EXTRA", "{}"))
except ValueError as error:
    raise ConfigError(f"KHABAR_EDITIONS_EXTRA is not valid JSON: {error}") from None
if not isinstance(_extra, dict) or not all(isinstance(c, dict) for c in _extra.values()):
    raise ConfigError('KHABAR_EDITIONS_EXTRA must look like {"tr": {"name": "Türkçe", …}}')
KHABAR_EDITIONS.update(_extra)
# Django's languages are the editions, each under its own name.
LANGUAGES = [(code, conf["name"]) for code, conf in KHABAR_EDITIONS.items()]
KHABAR_DEFAULT_EDITION = "ar"
KHABAR_AGENCY_NAME = KHABAR_EDITIONS[KHABAR_DEFAULT_EDITION].get("agency_name", "")
KHABAR_PAGE_SIZE = env_int("KHABAR_PAGE_SIZE", 20)

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Another origin serving photos (object storage, a CDN): allowed in the CSP's img-src.
KHABAR_MEDIA_ORIGIN = media_origin()
STORAGES = {
    # KHABAR_MEDIA_STORAGE: filesystem (MEDIA_ROOT) or s3 (django-storages; deploy/storage.md).
    "default": media_storage(),
    "staticfiles": {
        # Hashed names (far-future caching) need collectstatic; development and tests
        # serve straight from the apps' static folders instead.
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 31536000 if PRODUCTION else 60
#: Embedding sites load the comment widget from this unversioned address (README): it must
#: update within minutes; the files it pulls in are versioned and keep the long max-age.
WIDGET_ENTRY_PATHS = ("khabar/comments.js",)


def _widget_headers(headers: dict[str, str], path: str, url: str) -> None:
    if url.lstrip("/").removeprefix(STATIC_URL.strip("/") + "/") in WIDGET_ENTRY_PATHS:
        headers["Cache-Control"] = "public, max-age=300"


WHITENOISE_ADD_HEADERS_FUNCTION = _widget_headers
WHITENOISE_USE_FINDERS = not PRODUCTION

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_SAMESITE = "Lax"
# Desk sessions end after this many hours (and on a password change, as Django does).
SESSION_COOKIE_AGE = env_int("KHABAR_SESSION_HOURS", 12) * 3600
CSRF_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # A load balancer and Prometheus ask over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "newsroom@localhost")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# The mail server (with EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend).
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
if not (EMAIL_HOST_USER + EMAIL_HOST_PASSWORD).isascii():
    # smtplib encodes AUTH as ASCII: every message would fail at the server, one by one.
    raise ConfigError("EMAIL_HOST_USER and EMAIL_HOST_PASSWORD must be ASCII (smtplib's AUTH)")
# STARTTLS on the submission port (587), or TLS from the first byte (465); never both.
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ConfigError("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on")
EMAIL_PORT = env_int("EMAIL_PORT", 465 if EMAIL_USE_SSL else 587 if EMAIL_USE_TLS else 25)
# Seconds to wait for the mail server; the worker tries a failed message again later.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
if PRODUCTION and EMAIL_HOST_PASSWORD and not (EMAIL_USE_TLS or EMAIL_USE_SSL):
    # The password would cross the network in clear text.
    raise ConfigError("EMAIL_HOST_PASSWORD needs EMAIL_USE_TLS or EMAIL_USE_SSL in production")

# Distribution (khabar/distribution): seconds a receiver may take to answer one delivery.
KHABAR_DISTRIBUTION_TIMEOUT = env_int("KHABAR_DISTRIBUTION_TIMEOUT", 10)
# Deliveries in flight at once to one destination.
KHABAR_DISTRIBUTION_CONCURRENCY = env_int("KHABAR_DISTRIBUTION_CONCURRENCY", 4)
# The first retry's wait in milliseconds; each next one doubles (with jitter) up to the max (s).
KHABAR_DISTRIBUTION_RETRY_BASE_MS = env_int("KHABAR_DISTRIBUTION_RETRY_BASE_MS", 1000)
KHABAR_DISTRIBUTION_RETRY_MAX = env_int("KHABAR_DISTRIBUTION_RETRY_MAX", 900)
# Seconds after which an undelivered item is given up and the chiefs are alerted.
KHABAR_DISTRIBUTION_DEAD_AFTER = env_int("KHABAR_DISTRIBUTION_DEAD_AFTER", 86400)
# Consecutive failures that pause a destination, and for how many seconds.
KHABAR_DISTRIBUTION_CIRCUIT_FAILURES = env_int("KHABAR_DISTRIBUTION_CIRCUIT_FAILURES", 5)
KHABAR_DISTRIBUTION_CIRCUIT_PAUSE = env_int("KHABAR_DISTRIBUTION_CIRCUIT_PAUSE", 30)
# Seconds a rotated-out webhook secret keeps signing beside the new one.
KHABAR_DISTRIBUTION_SECRET_OVERLAP = env_int("KHABAR_DISTRIBUTION_SECRET_OVERLAP", 86400)

# --- The apps' settings, each read by its app's conf.py at call time ---------------------

# Reader comments (khabar/comments/conf.py). Replies indent up to this depth; deeper ones
# show flat with "replying to".
KHABAR_COMMENT_INDENT_DEPTH = env_int("KHABAR_COMMENT_INDENT_DEPTH", 4)
# Top-level comments per page (story page and API), replies under one of them per page, and
# all comments on one page (0: four times the page size).
KHABAR_COMMENT_PAGE_SIZE = env_int("KHABAR_COMMENT_PAGE_SIZE", 10)
KHABAR_COMMENT_REPLIES_PER_PAGE = env_int("KHABAR_COMMENT_REPLIES_PER_PAGE", 10)
KHABAR_COMMENT_MAX_PER_PAGE = env_int("KHABAR_COMMENT_MAX_PER_PAGE", 0)
# Minutes an author may edit or delete their comment.
KHABAR_COMMENT_EDIT_MINUTES = env_int("KHABAR_COMMENT_EDIT_MINUTES", 15)
# Threads close this many days after the story's publication (0: never).
KHABAR_COMMENT_CLOSE_AFTER_DAYS = env_int("KHABAR_COMMENT_CLOSE_AFTER_DAYS", 30)
# Characters, not bytes: "لا" is a valid comment with the default of 2.
KHABAR_COMMENT_MIN_LENGTH = env_int("KHABAR_COMMENT_MIN_LENGTH", 2)
KHABAR_COMMENT_MAX_LENGTH = env_int("KHABAR_COMMENT_MAX_LENGTH", 5000)
# Comments containing links wait for a moderator.
KHABAR_COMMENT_LINKS_PENDING = env_bool("KHABAR_COMMENT_LINKS_PENDING", True)
# A form submitted sooner than this after it was rendered is a bot.
KHABAR_COMMENT_MIN_SUBMIT_SECONDS = env_int("KHABAR_COMMENT_MIN_SUBMIT_SECONDS", 3)
# Rate limits (cache-backed); 0 turns them off for benchmarks.
KHABAR_RATELIMIT = env_bool("KHABAR_RATELIMIT", True)
KHABAR_COMMENT_RATE_PER_IP = env_rate("KHABAR_COMMENT_RATE_PER_IP", "5/60")
KHABAR_COMMENT_RATE_PER_THREAD = env_rate("KHABAR_COMMENT_RATE_PER_THREAD", "60/60")
# Same text in the same thread within this many seconds is a duplicate.
KHABAR_COMMENT_DUPLICATE_SECONDS = env_int("KHABAR_COMMENT_DUPLICATE_SECONDS", 3600)
# Sites allowed to embed the widget: name=https://origin,…
KHABAR_COMMENT_SITES = env_origins("KHABAR_COMMENT_SITES")
# CORS (django-cors-headers) for the widget on those sites, and only there: the endpoints it
# calls; the origins are KHABAR_COMMENT_SITES, read per request through the
# check_request_enabled signal (khabar.comments.guard.cors_enabled); the headers it sends
# (comments.js: its reader id, its edit tokens, the host page's language); no cookies.
CORS_URLS_REGEX = r"^/api/v1/comments(?:/[0-9]+(?:/(?:replies|like|report))?)?$"
CORS_ALLOWED_ORIGINS: list[str] = []
CORS_ALLOW_HEADERS = ("accept-language", "content-type", "x-khabar-reader", "x-khabar-tokens")
CORS_ALLOW_METHODS = ("DELETE", "GET", "OPTIONS", "PATCH", "POST")
CORS_ALLOW_CREDENTIALS = False
CORS_PREFLIGHT_MAX_AGE = 600
# Dotted path of a spam checker class (khabar.comments.spam.AkismetChecker); empty: off.
KHABAR_COMMENT_SPAM_CHECKER = env_str("KHABAR_COMMENT_SPAM_CHECKER", "")
KHABAR_AKISMET_KEY = env_str("KHABAR_AKISMET_KEY", "")
# Moderators get an email each time the pending queue reaches a multiple of this (0: never).
KHABAR_COMMENT_MODERATOR_ALERT_EVERY = env_int("KHABAR_COMMENT_MODERATOR_ALERT_EVERY", 10)

# "Most read" (khabar/analytics/conf.py): stories in a list, hours it looks back over, and
# one read per reader (address + browser) per story in so many hours.
KHABAR_MOST_READ_SIZE = env_int("KHABAR_MOST_READ_SIZE", 5)
KHABAR_MOST_READ_HOURS = env_int("KHABAR_MOST_READ_HOURS", 24)
KHABAR_MOST_READ_REPEAT_HOURS = env_int("KHABAR_MOST_READ_REPEAT_HOURS", 6)
# Without Redis, counts wait in each process and are written at most this often, or as soon
# as this many reads are waiting.
KHABAR_MOST_READ_FLUSH_SECONDS = env_int("KHABAR_MOST_READ_FLUSH_SECONDS", 30)
KHABAR_MOST_READ_FLUSH_HITS = env_int("KHABAR_MOST_READ_FLUSH_HITS", 500)
# Hourly counters older than this many days are deleted by ``khabar flush_hits``.
KHABAR_MOST_READ_KEEP_DAYS = env_int("KHABAR_MOST_READ_KEEP_DAYS", 7)
# More user-agent words that mark a robot, a regular expression added to the built-in list.
KHABAR_MOST_READ_EXTRA_BOTS = env_str("KHABAR_MOST_READ_EXTRA_BOTS", "")

# Security (khabar/security/conf.py): days a comment keeps its hashed address and a failed
# login its address; Retry-After when the database is down; two-factor for all staff; failed
# sign-ins from one address across all user names before the address is paused too.
KHABAR_IP_RETENTION_DAYS = env_int("KHABAR_IP_RETENTION_DAYS", 30)
# Stories' revision history (deploy/README.md, "Retention"): every revision younger than
# this many days stays, and so do each story's first revision and its newest few.
KHABAR_REVISION_KEEP_DAYS = env_int("KHABAR_REVISION_KEEP_DAYS", 90)
KHABAR_REVISION_KEEP_LAST = env_int("KHABAR_REVISION_KEEP_LAST", 10)
KHABAR_RETRY_AFTER_SECONDS = env_int("KHABAR_RETRY_AFTER_SECONDS", 5)
KHABAR_REQUIRE_TWO_FACTOR = env_bool("KHABAR_REQUIRE_TWO_FACTOR", False)
KHABAR_LOGIN_ADDRESS_FAILURES = env_int("KHABAR_LOGIN_ADDRESS_FAILURES", 20)

# Syndication (khabar/syndication/conf.py): the largest document ingest accepts (bytes), the
# wait for a URL, schema validation of NewsML-G2 and ninjs, items per feed or API page, and
# the NewsML-G2 provider authority (default: SITE_URL's host name).
KHABAR_INGEST_MAX_BYTES = env_int("KHABAR_INGEST_MAX_BYTES", 10 * 1024 * 1024)
KHABAR_INGEST_FETCH_TIMEOUT = env_int("KHABAR_INGEST_FETCH_TIMEOUT", 30)
KHABAR_INGEST_VALIDATE_NEWSML = env_bool("KHABAR_INGEST_VALIDATE_NEWSML", True)
KHABAR_INGEST_VALIDATE_NINJS = env_bool("KHABAR_INGEST_VALIDATE_NINJS", True)
# Let the worker fetch a provider's pictures from this machine (127.0.0.1, ::1) as well, over
# http or https: for tests that serve pictures locally. Never in production (the worker would
# reach services that listen only on loopback).
KHABAR_INGEST_FETCH_LOOPBACK = env_bool("KHABAR_INGEST_FETCH_LOOPBACK", False)
if PRODUCTION and KHABAR_INGEST_FETCH_LOOPBACK:
    raise ConfigError("KHABAR_INGEST_FETCH_LOOPBACK is for tests; it cannot be on in production")
KHABAR_FEED_SIZE = env_int("KHABAR_FEED_SIZE", 50)
KHABAR_NEWSML_AUTHORITY = env_str("KHABAR_NEWSML_AUTHORITY", "")

# Photos (khabar/photos/conf.py): the largest upload (bytes) and most pixels accepted (refuses
# decompression bombs before decoding); larger than this many pixels, renditions come from
# ``khabar render_photos``; rendition widths; IPTC IIM text without a declared character set
# that is not UTF-8 is read as this encoding.
KHABAR_PHOTO_MAX_BYTES = env_int("KHABAR_PHOTO_MAX_BYTES", 25 * 1024 * 1024)
KHABAR_PHOTO_MAX_PIXELS = env_int("KHABAR_PHOTO_MAX_PIXELS", 60_000_000)
KHABAR_PHOTO_BACKGROUND_PIXELS = env_int("KHABAR_PHOTO_BACKGROUND_PIXELS", 16_000_000)
KHABAR_PHOTO_WIDTHS = env_list("KHABAR_PHOTO_WIDTHS", ["320", "640", "960", "1280"])
KHABAR_PHOTO_IIM_LEGACY_ENCODING = env_str("KHABAR_PHOTO_IIM_LEGACY_ENCODING", "cp1256")

LOGIN_URL = "admin:login"
# Two-factor codes: the name authenticator apps show next to the code.
OTP_TOTP_ISSUER = env_str("KHABAR_OTP_ISSUER", "khabar")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
