from django.urls import URLPattern

from apps.core.routes import route
from apps.pricing import apis

urlpatterns: list[URLPattern] = [
    route("poolhouses/<int:hall_id>/tables/<int:table_id>/quote/", apis.TableQuoteApi.as_view(), name="table-quote"),
    route("poolhouses/<int:hall_id>/prices/", apis.HallPricesApi.as_view(), name="hall-prices"),
]
