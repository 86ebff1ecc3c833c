"""Thin REST interfaces for bookings, walk-ins and game sessions."""

from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.exceptions import PlayerNotFound
from apps.accounts.selectors import player_get, player_require
from apps.accounts.serializers import SimplePlayerSerializer
from apps.core.apis import request_user, validated
from apps.halls.models import PoolHouse
from apps.halls.selectors import hall_from_query, hall_get
from apps.halls.services import hall_staff_require
from apps.reservations import selectors, serializers, services
from apps.reservations.exceptions import InvalidOpponent


class TableReserveApi(APIView):
    """A table's calendar: anybody reads it; a signed-in player books it."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        parameters=[serializers.DayInputSerializer], responses={200: serializers.ScheduleSlotSerializer(many=True)}
    )
    def get(self, request: Request, hall_id: str, table_id: str) -> Response:
        """The table's bookings on one hall day, times only.

        `date` is a day in the hall's time zone (default: today there). The hall day runs from opening to
        closing, past midnight when the hall closes after it. No identities are shown.
        """
        table = selectors.table_get(hall=hall_get(hall_id=hall_id), table_id=table_id)
        day = validated(serializers.DayInputSerializer, request.query_params).get("date")
        if day is None:
            day = timezone.localdate(timezone=ZoneInfo(table.hall.time_zone))
        slots = selectors.table_day_schedule(table=table, day=day)
        return Response(serializers.ScheduleSlotSerializer(slots, many=True).data)

    @extend_schema(request=serializers.ReserveInputSerializer, responses={201: serializers.ReservationSerializer})
    def post(self, request: Request, hall_id: str, table_id: str) -> Response:
        """Book the table.

        `start_time` without an offset is read in the hall's time zone. `duration` is in minutes, within the
        hall's minimum and maximum and a multiple of its booking step. The slot must lie within opening hours
        and keep the hall's cleaning buffer free around the table's other bookings, and neither player may be
        booked elsewhere then. A named opponent gets a notification.
        """
        table = selectors.table_get(hall=hall_get(hall_id=hall_id), table_id=table_id)
        data = validated(serializers.ReserveInputSerializer, request.data)
        player = player_require(request_user(request))
        opponent = None
        if data.get("other_player") is not None:
            try:
                opponent = player_get(player_id=data["other_player"])
            except PlayerNotFound as exc:
                raise InvalidOpponent("The opponent is not a player here.") from exc
        reservation = services.reservation_create(
            table=table,
            start=data["start_time"],
            minutes=data["duration"],
            player=player,
            other_player=opponent,
            created_by=request_user(request),
        )
        body = serializers.ReservationSerializer(reservation, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class MyReservationsApi(generics.GenericAPIView):
    serializer_class = serializers.ReservationSerializer

    @extend_schema(responses=serializers.ReservationSerializer(many=True))
    def get(self, request: Request) -> Response:
        """My bookings, as booker or opponent, newest first, paged."""
        reservations = selectors.reservations_of_player(player=player_require(request_user(request)))
        page = self.paginate_queryset(reservations)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class MyReservationDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, reservation_id: str) -> Response:
        """Cancel my booking.

        Only the booker cancels. Before the start it frees the slot; during the game it ends the session
        now.
        """
        services.reservation_cancel(reservation_id=int(reservation_id), user=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class HallReservationsApi(APIView):
    """Staff of the hall: its bookings (of the hall day ?date=, or all that ended less than a day ago or
    later), and walk-ins."""

    @extend_schema(
        parameters=[serializers.DayInputSerializer], responses={200: serializers.ReservationSerializer(many=True)}
    )
    def get(self, request: Request, hall_id: str) -> Response:
        """The hall's bookings (hall staff)."""
        hall = hall_get(hall_id=hall_id)
        hall_staff_require(user=request_user(request), hall=hall)
        day = validated(serializers.DayInputSerializer, request.query_params).get("date")
        reservations = selectors.reservations_of_hall(hall=hall, day=day)[:500]
        return Response(serializers.ReservationSerializer(reservations, many=True, context={"request": request}).data)

    @extend_schema(request=serializers.WalkInInputSerializer, responses={201: serializers.ReservationSerializer})
    def post(self, request: Request, hall_id: str) -> Response:
        """Book a walk-in (hall staff).

        A booking with no player, on the table with that number; `start_time` defaults to now.
        """
        hall = hall_get(hall_id=hall_id)
        hall_staff_require(user=request_user(request), hall=hall)
        data = validated(serializers.WalkInInputSerializer, request.data)
        table = selectors.table_get_by_number(hall=hall, number=data["table_id"])
        reservation = services.reservation_create(
            table=table,
            start=data.get("start_time") or timezone.now(),
            minutes=data["duration"],
            created_by=request_user(request),
        )
        body = serializers.ReservationSerializer(reservation, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class HallSessionsApi(APIView):
    @extend_schema(responses={200: serializers.StaffSessionSerializer(many=True)})
    def get(self, request: Request, hall_id: str) -> Response:
        """The hall's game sessions (hall staff).

        Running sessions and those that ended within the last day, newest first; at most 500.
        """
        hall = hall_get(hall_id=hall_id)
        hall_staff_require(user=request_user(request), hall=hall)
        sessions = selectors.sessions_of_hall(hall=hall)[:500]
        return Response(serializers.StaffSessionSerializer(sessions, many=True, context={"request": request}).data)


class HallSessionDetailApi(APIView):
    @extend_schema(responses={200: serializers.StaffSessionSerializer})
    def delete(self, request: Request, hall_id: str, session_id: str) -> Response:
        """End a running game session now (hall staff).

        The table is freed; the session is kept with its minutes played and cost.
        """
        hall = hall_get(hall_id=hall_id)
        hall_staff_require(user=request_user(request), hall=hall)
        found = selectors.session_of_hall(hall=hall, session_id=session_id)
        services.session_end_by_staff(session_id=found.pk, staff_user=request_user(request))
        session = selectors.session_of_hall(hall=hall, session_id=found.pk)
        return Response(serializers.StaffSessionSerializer(session, context={"request": request}).data)


class GameSessionApi(APIView):
    @extend_schema(responses={200: serializers.GameSessionSerializer})
    def get(self, request: Request, session_id: str) -> Response:
        """One of my game sessions."""
        player = player_require(request_user(request))
        session = selectors.session_of_player(session_id=session_id, player=player)
        context = {"request": request, "player": player}
        return Response(serializers.GameSessionSerializer(session, context=context).data)


def _staff_hall(request: Request, hall_id: int | None) -> PoolHouse:
    """The hall a staff statistic is about: ?hall=, or the one hall the user runs."""
    user = request_user(request)
    hall = hall_from_query(hall_id=hall_id, user=user)
    hall_staff_require(user=user, hall=hall)
    return hall


class TopPlayersApi(APIView):
    @extend_schema(
        parameters=[serializers.DaysInputSerializer], responses={200: serializers.TopPlayerSerializer(many=True)}
    )
    def get(self, request: Request) -> Response:
        """The hall's most active players (hall staff).

        The ten players with the most games there in the last `days` days.
        """
        query = validated(serializers.DaysInputSerializer, request.query_params)
        hall = _staff_hall(request, query.get("hall"))
        rows: list[dict[str, Any]] = [
            {"player": SimplePlayerSerializer(row["player"], context={"request": request}).data, "games": row["games"]}
            for row in selectors.top_players(hall=hall, days=query["days"])
        ]
        return Response(rows)


class TopTablesApi(APIView):
    @extend_schema(
        parameters=[serializers.DaysInputSerializer], responses={200: serializers.TopTableSerializer(many=True)}
    )
    def get(self, request: Request) -> Response:
        """The hall's busiest tables (hall staff).

        Games, minutes played and revenue of every table over the last `days` days.
        """
        query = validated(serializers.DaysInputSerializer, request.query_params)
        hall = _staff_hall(request, query.get("hall"))
        rows = [
            {
                "id": table.pk,
                "table_id": table.number,
                "games": table.games,  # type: ignore[attr-defined]
                "minutes": table.minutes or 0,  # type: ignore[attr-defined]
                "revenue": str(table.revenue or "0.00"),  # type: ignore[attr-defined]
                "currency": hall.currency,
            }
            for table in selectors.top_tables(hall=hall, days=query["days"])
        ]
        return Response(rows)
