from django.urls import URLPattern

from apps.core.routes import route
from apps.halls import apis

urlpatterns: list[URLPattern] = [
    route("poolhouses/", apis.PoolHouseListApi.as_view(), name="hall-list"),
    route("poolhouses-filter/", apis.PoolHouseNearApi.as_view(), name="hall-near"),
    route("poolhouses/<int:hall_id>/", apis.PoolHouseDetailApi.as_view(), name="hall-detail"),
    route("poolhouses/<int:hall_id>/tables/", apis.HallTablesApi.as_view(), name="hall-tables"),
    route("poolhouses/<int:hall_id>/ratings/", apis.HallRatingsApi.as_view(), name="hall-ratings"),
    route("poolhouses/<int:hall_id>/filter-ratings/", apis.HallFilterRatingsApi.as_view(), name="hall-filter-ratings"),
    route("poolhouses/<int:hall_id>/images/", apis.HallImagesApi.as_view(), name="hall-images"),
    route("poolhouses/<int:hall_id>/images/<int:photo_id>/", apis.HallImageApi.as_view(), name="hall-image"),
]
