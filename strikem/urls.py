from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.accounts.urls import api_urlpatterns as accounts_api
from apps.accounts.urls import auth_urlpatterns, users_urlpatterns
from apps.core.health import health, liveness
from apps.core.observability import metrics
from apps.core.outage import not_found
from apps.core.routes import route
from apps.halls.urls import urlpatterns as halls_api
from apps.matchmaking.urls import urlpatterns as matchmaking_api
from apps.notifications.urls import urlpatterns as notifications_api
from apps.pricing.urls import urlpatterns as pricing_api
from apps.ratings.urls import urlpatterns as ratings_api
from apps.realtime.urls import urlpatterns as realtime_pages
from apps.reservations.urls import urlpatterns as reservations_api
from apps.social.urls import urlpatterns as social_api
from apps.tournaments.urls import page_urlpatterns as tournament_pages
from apps.tournaments.urls import urlpatterns as tournaments_api
from apps.walkup.urls import page_urlpatterns as walkup_pages
from apps.walkup.urls import urlpatterns as walkup_api

handler404 = "apps.core.outage.not_found"
handler500 = "apps.core.outage.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    route("health/", health, name="health"),
    route("health/live/", liveness, name="liveness"),
    route("metrics/", metrics, name="metrics"),
    route("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    route("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("staff/", include(realtime_pages)),
    path("tournaments/", include(tournament_pages)),
    path("halls/", include(walkup_pages)),
    path("auth/", include(auth_urlpatterns)),
    path("users/", include(users_urlpatterns)),
    path(
        "api/",
        # Django tries patterns in order: the lobby's list, the most read route, is looked up first.
        include(
            matchmaking_api
            + accounts_api
            + halls_api
            + reservations_api
            + ratings_api
            + notifications_api
            + social_api
            + tournaments_api
            + pricing_api
            + walkup_api
        ),
    ),
    # Anything else under the API prefixes is the JSON 404 envelope, in development (DEBUG) too.
    re_path(r"^(api|auth|users)/", not_found),
]

if settings.SERVE_MEDIA:
    prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns.append(re_path(rf"^{prefix}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}))
