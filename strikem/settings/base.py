"""Settings shared by every environment; dev.py, test.py and prod.py build on them.

Every external part is read from the environment (see .env.example), each variable once. The defaults are
safe (DEBUG off) and need no service: SQLite in var/ and the embedded Redis `manage.py runstack` starts.
Importing settings has no side effect (`make` creates var/).
"""

import ipaddress
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Development-only fallback; prod.py has no default.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789abcdef")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "corsheaders",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_celery_beat",
    "apps.core",
    "apps.accounts",
    "apps.halls",
    "apps.reservations",
    "apps.notifications",
    "apps.ratings",
    "apps.matchmaking",
    "apps.realtime",
    "apps.events",
    "apps.social",
    "apps.pricing",
    "apps.walkup",
    "apps.tournaments",
]

MIDDLEWARE = [
    "apps.core.observability.RequestContextMiddleware",
    "apps.core.outage.DatabaseOutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.halls.middleware.HallTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "strikem.urls"
WSGI_APPLICATION = "strikem.wsgi.application"
ASGI_APPLICATION = "strikem.asgi.application"
# Routes answer with and without their trailing slash (the web client drops it); never redirect.
APPEND_SLASH = False

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    # Django's backend, with transactions begun by START TRANSACTION (one round trip less each).
    DATABASES["default"]["ENGINE"] = "apps.core.mysql"
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"charset": "utf8mb4", "init_command": "SET sql_mode='STRICT_TRANS_TABLES'"}
    )
    DATABASES["default"].setdefault("TEST", {}).update({"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"})
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default is shared by the server, the worker and beat: wait for locks, write-ahead log.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# An optional read replica (e.g. an RDS read replica); see apps/core/db_router.py for what goes there.
_replica_url = env.str("DATABASE_REPLICA_URL", default="")
if _replica_url:
    DATABASES["replica"] = {
        **DATABASES["default"],
        **env.db_url_config(_replica_url),
        "OPTIONS": DATABASES["default"].get("OPTIONS", {}),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["apps.core.db_router.PrimaryReplicaRouter"]

# --- Redis: cache, channel layer, Celery broker ---------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="strikem"),
    }
}
# Several Redis URLs shard the channel layer across hosts (channels-redis's own consistent hashing).
# The socket timeout must exceed channels-redis's 5 s blocking pop, or an idle socket's receive loop
# fails (redis-py's asyncio client defaults to 5 s).
CHANNEL_REDIS_URLS = env.list("CHANNEL_REDIS_URLS", default=[REDIS_URL])
from apps.core.redis import reconnecting_async_retry  # noqa: E402  (no Django needed to import it)

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "apps.realtime.layers.TwoTripRedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": url,
                    "socket_timeout": 30,
                    "socket_keepalive": True,
                    "max_connections": 1000,
                    "retry": reconnecting_async_retry(),
                }
                for url in CHANNEL_REDIS_URLS
            ],
            "prefix": env.str("CHANNEL_PREFIX", default="asgi"),
        },
    }
}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_SOFT_TIME_LIMIT = 50
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
SESSIONS_SWEEP_SECONDS = env.int("SESSIONS_SWEEP_SECONDS", default=30)
SESSIONS_SCHEDULE_HORIZON_SECONDS = env.int("SESSIONS_SCHEDULE_HORIZON_SECONDS", default=300)
# A task a dead worker had taken (kill -9, lost host) goes back to the queue after this long. It must
# exceed the horizon, or an exact-time task waiting for its ETA would be handed out twice; the tasks
# re-check their row, so a redelivered one is a no-op, and the sweep does not wait for it anyway.
_VISIBILITY_DEFAULT = max(3600, 4 * SESSIONS_SCHEDULE_HORIZON_SECONDS)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=_VISIBILITY_DEFAULT),
    # How often a worker looks for such tasks (one cheap Redis scan).
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_SECONDS", default=60),
    "unacked_restore_throttle": 1,
}
RESULTS_SWEEP_SECONDS = env.int("RESULTS_SWEEP_SECONDS", default=60)
# A single unchallenged result report becomes final after this many hours.
RESULT_SINGLE_REPORT_HOURS = env.int("RESULT_SINGLE_REPORT_HOURS", default=12)
# Installed into django-celery-beat's tables when beat starts, so the schedule lives in code.
CELERY_BEAT_SCHEDULE = {
    "sessions-sweep": {
        "task": "apps.reservations.tasks.sessions_sweep_task",
        "schedule": float(SESSIONS_SWEEP_SECONDS),
        "options": {"expires": SESSIONS_SWEEP_SECONDS},
    },
    "auto-pair-wave": {
        "task": "apps.matchmaking.tasks.auto_pair_wave_task",
        "schedule": float(env.int("AUTO_PAIR_SECONDS", default=10)),
        "options": {"expires": 10},
    },
    "outbox-publish": {
        "task": "apps.events.tasks.outbox_publish_task",
        "schedule": float(env.int("OUTBOX_PUBLISH_SECONDS", default=10)),
        "options": {"expires": 10},
    },
    "delete-old-notifications": {
        "task": "apps.events.tasks.delete_old_notifications_task",
        "schedule": 24 * 3600.0,
    },
    "results-finalize-due": {
        "task": "apps.ratings.tasks.results_finalize_due_task",
        "schedule": float(RESULTS_SWEEP_SECONDS),
        "options": {"expires": RESULTS_SWEEP_SECONDS},
    },
    "walkup-sweep": {
        "task": "apps.walkup.tasks.queue_sweep_task",
        "schedule": float(env.int("WALKUP_SWEEP_SECONDS", default=30)),
        "options": {"expires": 30},
    },
    "tournaments-tick": {
        "task": "apps.tournaments.tasks.tournament_tick_task",
        "schedule": float(env.int("TOURNAMENT_TICK_SECONDS", default=30)),
        "options": {"expires": 30},
    },
}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Proxies whose X-Forwarded-For is believed (addresses or CIDRs: nginx on the instance, the load balancer's
# subnet); a request from anywhere else is counted by its own address (see apps/core/throttling.py).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    ipaddress.ip_network(_proxy, strict=False)  # a typo fails at start, not on the first request

# How deep client JSON (REST bodies, socket frames) may nest; deeper is refused before parsing.
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.parsing.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.exceptions.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_CLASSES": [],
    "DEFAULT_THROTTLE_RATES": {
        "login": env.str("THROTTLE_LOGIN", default="20/min"),
        "register": env.str("THROTTLE_REGISTER", default="10/hour"),
        "codes": env.str("THROTTLE_CODES", default="10/hour"),
        "invitations": env.str("THROTTLE_INVITATIONS", default="30/min"),
        "chat": env.str("THROTTLE_CHAT", default="60/min"),
    },
}

SIMPLE_JWT = {
    # The existing web client cannot refresh, so an access token lives a day unless configured.
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=24 * 60)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("JWT", "Bearer"),
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Strikem API",
    "DESCRIPTION": "Pool halls, tables, players, reservations and matchmaking.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for a choice set used in several places.
    "ENUM_NAME_OVERRIDES": {
        "TableKindEnum": "apps.halls.models.TableKind.choices",
        "PushKindEnum": "apps.notifications.models.PUSH_KIND_VALUES",
    },
}

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=["http://localhost:3000", "http://127.0.0.1:3000"])
CORS_ALLOW_HEADERS = ["accept", "authorization", "content-type", "origin", "x-csrftoken", "x-requested-with"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Accounts -------------------------------------------------------------------------------
FRONTEND_URL = env.str("FRONTEND_URL", default="http://localhost:3000")
ACCOUNT_ACTIVATION_REQUIRED = env.bool("ACCOUNT_ACTIVATION_REQUIRED", default=True)
VERIFICATION_CODE_TTL_MINUTES = env.int("VERIFICATION_CODE_TTL_MINUTES", default=10)
VERIFICATION_CODE_MAX_ATTEMPTS = env.int("VERIFICATION_CODE_MAX_ATTEMPTS", default=5)
PASSWORD_KEY_TTL_MINUTES = env.int("PASSWORD_KEY_TTL_MINUTES", default=15)
WS_TICKET_TTL_SECONDS = env.int("WS_TICKET_TTL_SECONDS", default=30)
GOOGLE_CLIENT_ID = env.str("GOOGLE_CLIENT_ID", default="")
GOOGLE_JWKS_URL = env.str("GOOGLE_JWKS_URL", default="https://www.googleapis.com/oauth2/v3/certs")
GOOGLE_ISSUERS = ["accounts.google.com", "https://accounts.google.com"]
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="strikem-demo")
STARTING_RATING = 1500.0

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Strikem <no-reply@strikem.local>")

# --- Matchmaking and realtime -----------------------------------------------------------------
INVITATION_TTL_MINUTES = env.int("INVITATION_TTL_MINUTES", default=10)
DENIAL_COOLDOWN_SECONDS = env.int("DENIAL_COOLDOWN_SECONDS", default=180)
MATCHMAKING_RATING_WINDOW = env.int("MATCHMAKING_RATING_WINDOW", default=200)
# The window widens by this many points per minute a player has been looking, up to the maximum.
MATCHMAKING_WINDOW_GROWTH_PER_MINUTE = env.int("MATCHMAKING_WINDOW_GROWTH_PER_MINUTE", default=25)
MATCHMAKING_WINDOW_MAX = env.int("MATCHMAKING_WINDOW_MAX", default=600)
MATCHMAKING_RADIUS_KM = env.float("MATCHMAKING_RADIUS_KM", default=25.0)
# The matchmaking list ranks from each process's copy of the lobby (apps/matchmaking/lobby.py): rebuilt
# at most this often when someone joined or left, and at the latest after the second figure.
LOBBY_INDEX_SECONDS = env.float("LOBBY_INDEX_SECONDS", default=1.0)
LOBBY_INDEX_MAX_SECONDS = env.float("LOBBY_INDEX_MAX_SECONDS", default=5.0)
CHAT_MESSAGE_MAX_LENGTH = 2000
CHAT_OUTDATED_MINUTES = 20
# Zone of the "HH:MM" shown with chat messages (the halls' city).
CHAT_TIME_ZONE = env.str("CHAT_TIME_ZONE", default="UTC")
PRESENCE_HEARTBEAT_SECONDS = env.int("PRESENCE_HEARTBEAT_SECONDS", default=20)
WS_ALLOWED_ORIGINS = env.list("WS_ALLOWED_ORIGINS", default=[])
WS_MAX_FRAME_BYTES = env.int("WS_MAX_FRAME_BYTES", default=16 * 1024)
# Per-connection frame budget: a burst of WS_RATE_BURST, refilled at WS_RATE_PER_SECOND; frames over it
# get a RATE_LIMITED error frame, and a socket that keeps going past twice the burst is closed (4429).
WS_RATE_PER_SECOND = env.float("WS_RATE_PER_SECOND", default=10.0)
WS_RATE_BURST = env.int("WS_RATE_BURST", default=30)

# --- Events to AWS (SNS topic fanned out to SQS queues feeding the cleanup Lambdas) -------------
# Without SNS_TOPIC_ARN the same events run the same cleanup code locally through Celery.
SNS_TOPIC_ARN = env.str("SNS_TOPIC_ARN", default="")
AWS_REGION = env.str("AWS_REGION", default="")
AWS_ENDPOINT_URL = env.str("AWS_ENDPOINT_URL", default="")
NOTIFICATION_MAX_AGE_DAYS = env.int("NOTIFICATION_MAX_AGE_DAYS", default=5)
UNREAD_NOTIFICATION_MAX_AGE_DAYS = env.int("UNREAD_NOTIFICATION_MAX_AGE_DAYS", default=30)

# --- Friends, mobile push and reminders ---------------------------------------------------------
# SNS platform applications by device platform, e.g. "FCM=arn:aws:sns:...:app/GCM/strikem,APNS=arn:...".
# Unset: pushes go to a recorder that sends nothing (development, most tests).
SNS_PLATFORM_APPLICATION_ARNS = env.dict("SNS_PLATFORM_APPLICATION_ARNS", default={})
# A player's time zone (quiet hours) until they set their own.
PLAYER_DEFAULT_TIME_ZONE = env.str("PLAYER_DEFAULT_TIME_ZONE", default="UTC")
DEVICES_PER_PLAYER_MAX = env.int("DEVICES_PER_PLAYER_MAX", default=10)
# "Your game starts in 15 minutes", to both players (push, and email to a verified address).
GAME_REMINDER_MINUTES = env.int("GAME_REMINDER_MINUTES", default=15)
# A friend is told at most this often that a player started looking for a game.
FRIEND_LOOKING_COOLDOWN_SECONDS = env.int("FRIEND_LOOKING_COOLDOWN_SECONDS", default=600)

# --- Walk-up queue -------------------------------------------------------------------------
# How long an offered table waits for its party to confirm before it passes to the next party.
WALKUP_OFFER_MINUTES = env.int("WALKUP_OFFER_MINUTES", default=5)
# How long a walk-in from the queue is booked for when the party does not say (within the hall's bounds).
WALKUP_DEFAULT_MINUTES = env.int("WALKUP_DEFAULT_MINUTES", default=60)
# The wait estimate: the typical walk-in game until a hall has WALKUP_MIN_HISTORY games of its own within
# WALKUP_HISTORY_DAYS, the share of offers assumed unanswered until measured, and how many evenings it plays.
WALKUP_TYPICAL_GAME_MINUTES = env.int("WALKUP_TYPICAL_GAME_MINUTES", default=55)
WALKUP_MIN_HISTORY = env.int("WALKUP_MIN_HISTORY", default=20)
WALKUP_HISTORY_DAYS = env.int("WALKUP_HISTORY_DAYS", default=60)
WALKUP_DEFAULT_NO_SHOW_RATE = env.float("WALKUP_DEFAULT_NO_SHOW_RATE", default=0.1)
WALKUP_ESTIMATE_SAMPLES = env.int("WALKUP_ESTIMATE_SAMPLES", default=200)

# --- Tournaments ----------------------------------------------------------------------------
# Minutes a rack takes, for estimated start times, until a hall has measured its own (20 racks played).
TOURNAMENT_MINUTES_PER_RACK = env.float("TOURNAMENT_MINUTES_PER_RACK", default=6.0)
# `manage.py seed` plays a demo tournament night, half played, in a demo hall open at the time.
SEED_DEMO_NIGHT = env.bool("SEED_DEMO_NIGHT", default=True)

# --- Halls ----------------------------------------------------------------------------------
HALLS_NEAR_DEFAULT_RADIUS_KM = 5.0
HALLS_NEAR_MAX_RADIUS_KM = 100.0
# Longest a stored hall table list lives; every board change replaces it at once (apps/halls/snapshot.py).
BOARD_SNAPSHOT_SECONDS = env.int("BOARD_SNAPSHOT_SECONDS", default=60)

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
# Media is served by Django only where no web server or bucket does it (development, `make run`).
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=DEBUG)
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=5 * 1024 * 1024)

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _media_backend = "storages.backends.s3.S3Storage"
    _media_options: dict[str, object] = {
        "bucket_name": AWS_STORAGE_BUCKET_NAME,
        "endpoint_url": AWS_ENDPOINT_URL or None,
        "region_name": AWS_REGION or None,
        "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None,
        "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", default=False),
        "file_overwrite": False,
        "default_acl": None,
    }
else:
    _media_backend = "django.core.files.storage.FileSystemStorage"
    _media_options = {}
STORAGES = {
    "default": {"BACKEND": _media_backend, "OPTIONS": _media_options},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# "json" (one object per line with the request id; the default in prod) or "plain".
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "apps.core.logs.RequestIdFilter"},
        "refusals_on_one_line": {"()": "apps.core.logs.RefusalsOnOneLine"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "apps.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "refusals_on_one_line"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
