"""Thin REST interfaces for quotes and price lists."""

from zoneinfo import ZoneInfo

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.selectors import player_of
from apps.core.apis import request_user, validated
from apps.halls.selectors import hall_get_plain
from apps.pricing import exceptions, selectors, serializers, services
from apps.reservations.selectors import table_get


class TableQuoteApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(parameters=[serializers.QuoteInputSerializer], responses={200: serializers.QuoteSerializer})
    def get(self, request: Request, hall_id: str, table_id: str) -> Response:
        """What a game on the table would cost, and how the price is made up.

        The slot `[start_time, start_time + duration)` must lie within opening hours. The price list in force
        at the start applies, with the member rate when the caller is a member of the hall; each part of the
        time is charged at the rate of its wall-clock time in the hall's zone.
        """
        table = table_get(hall=hall_get_plain(hall_id=hall_id), table_id=table_id)
        query = validated(serializers.QuoteInputSerializer, request.query_params)
        player = player_of(request_user(request)) if request.user.is_authenticated else None
        quote = selectors.price_quote(table=table, start=query["start_time"], minutes=query["duration"], player=player)
        return Response(serializers.quote_data(quote))


class HallPricesApi(APIView):
    """Anybody reads the hall's prices; its staff publish new ones."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses={200: serializers.PriceListSerializer})
    def get(self, request: Request, hall_id: str) -> Response:
        """The hall's price list in force now."""
        hall = hall_get_plain(hall_id=hall_id)
        price_list = selectors.price_list_in_force(hall_id=hall.pk, at=timezone.now())
        if price_list is None:
            raise exceptions.PriceListNotFound()
        return Response(serializers.price_list_data(price_list, selectors.price_list_rates(price_list)))

    @extend_schema(request=serializers.PriceListInputSerializer, responses={201: serializers.PriceListSerializer})
    def post(self, request: Request, hall_id: str) -> Response:
        """Publish a new version of the hall's prices (hall staff).

        It prices the sessions that start from `valid_from` on; sessions that started before keep the prices
        they started under. A kind's own periods replace those for every kind; the periods of each kind, and
        those for every kind, must cover every day of the week from 00:00 to 24:00 exactly once.
        """
        hall = hall_get_plain(hall_id=hall_id)
        data = validated(serializers.PriceListInputSerializer, request.data)
        valid_from = data.get("valid_from")
        if valid_from is not None and valid_from.tzinfo is None:
            valid_from = valid_from.replace(tzinfo=ZoneInfo(hall.time_zone))
        price_list = services.price_list_publish(
            hall=hall,
            user=request_user(request),
            rates=serializers.rates_from_input(data["periods"]),
            rounding_minutes=data["rounding_minutes"],
            minimum_charge=data["minimum_charge"],
            valid_from=valid_from,
        )
        body = serializers.price_list_data(price_list, selectors.price_list_rates(price_list))
        return Response(body, status=status.HTTP_201_CREATED)
