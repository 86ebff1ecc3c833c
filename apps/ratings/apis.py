from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.exceptions import NotYourPlayer
from apps.accounts.selectors import player_get, player_of, player_require
from apps.core.apis import request_user, validated
from apps.halls.selectors import hall_from_query, hall_get
from apps.halls.services import hall_staff_require
from apps.ratings import selectors, serializers, services
from apps.reservations.selectors import session_of_hall


class PlayerHistoryApi(APIView):
    """Any signed-in player reads a player's results; each player reports their own games."""

    @extend_schema(responses={200: serializers.HistorySerializer(many=True)})
    def get(self, request: Request, player_id: str) -> Response:
        """A player's game results, newest first.

        At most 200; pending and disputed results are listed too.
        """
        player = player_get(player_id=player_id)
        viewer = request_user(request)
        results = selectors.results_of_player(player=player, viewer=viewer)[:200]
        context = {"request": request, "viewer_player": player_of(viewer)}
        return Response(serializers.HistorySerializer(results, many=True, context=context).data)

    @extend_schema(request=serializers.ReportInputSerializer, responses={201: serializers.HistorySerializer})
    def post(self, request: Request, player_id: str) -> Response:
        """Report the result of my finished game.

        Once per player of that game. Two agreeing reports make the result final and move both ratings;
        disagreeing ones go to the hall's staff; a single report becomes final after
        RESULT_SINGLE_REPORT_HOURS unless the opponent disputes it. A tie names the same player as winner
        and loser.
        """
        me = player_require(request_user(request))
        if str(me.pk) != str(player_id):
            raise NotYourPlayer("You report results only on your own history.")
        data = validated(serializers.ReportInputSerializer, request.data)
        result = services.result_report(
            session_id=data["game_session"],
            reporter=me,
            winner_id=data["winner_player"],
            loser_id=data["loser_player"],
            result_winner=data["result_winner"],
            result_loser=data["result_loser"],
        )
        body = serializers.HistorySerializer(result, context={"request": request, "viewer_player": me}).data
        return Response(body, status=status.HTTP_201_CREATED)


class DisputeApi(APIView):
    @extend_schema(request=None, responses={200: serializers.HistorySerializer})
    def post(self, request: Request, session_id: str) -> Response:
        """Dispute my opponent's report of our game.

        Possible while the result rests on their single report; the hall's staff then settle it.
        """
        me = player_require(request_user(request))
        result = services.result_dispute(session_id=int(session_id), player=me)
        return Response(serializers.HistorySerializer(result, context={"request": request, "viewer_player": me}).data)


class LeaderboardApi(generics.GenericAPIView):
    """Players ranked by rating, paged.

    `scope` is `global`, `hall` (players who played at `hall`) or `around` (one page: the players just
    above and below me); every scope answers in the paged shape. `rank` is the position within the scope
    (the global one for `around`).
    """

    serializer_class = serializers.LeaderboardRowSerializer

    @extend_schema(
        parameters=[serializers.LeaderboardInputSerializer], responses=serializers.LeaderboardRowSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        query = validated(serializers.LeaderboardInputSerializer, request.query_params)
        if query["scope"] == "around":
            first_rank, players = selectors.leaderboard_around(player=player_require(request_user(request)))
            for offset, player in enumerate(players):
                player.rank = first_rank + offset  # type: ignore[attr-defined]
            rows = self.get_serializer(players, many=True).data
            return Response({"count": len(rows), "next": None, "previous": None, "results": rows})
        if query["scope"] == "hall":
            players_qs = selectors.leaderboard_hall(hall=hall_from_query(hall_id=query.get("hall")))
        else:
            players_qs = selectors.leaderboard_global()
        page: list[Any] = list(self.paginate_queryset(players_qs) or [])
        if page:
            # Ranks are positions within the scope: the hall's best player is 1 on the hall's board.
            start = selectors.player_rank(player=page[0], among=players_qs)
            for offset, player in enumerate(page):
                player.rank = start + offset
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class HallResultsApi(APIView):
    @extend_schema(responses={200: serializers.HistorySerializer(many=True)})
    def get(self, request: Request, hall_id: str) -> Response:
        """Results waiting for the hall's staff (hall staff).

        The disputed results of the hall's games, oldest first, each with both players' claims.
        """
        hall = hall_get(hall_id=hall_id)
        hall_staff_require(user=request_user(request), hall=hall)
        results = selectors.results_for_staff(hall=hall)[:200]
        return Response(serializers.HistorySerializer(results, many=True, context={"request": request}).data)


class SettleResultApi(APIView):
    @extend_schema(request=serializers.SettleInputSerializer, responses={200: serializers.HistorySerializer})
    def post(self, request: Request, hall_id: str, session_id: str) -> Response:
        """Settle a game's result (hall staff).

        For a finished game of the hall whose players disagree, or whose time to report has run out; not
        while a report waits for the opponent's confirmation. `tie: true` is a draw, otherwise
        `winner_player` names the winner. Final at once: ratings move.
        """
        hall = hall_get(hall_id=hall_id)
        user = request_user(request)
        hall_staff_require(user=user, hall=hall)
        data = validated(serializers.SettleInputSerializer, request.data)
        session = session_of_hall(hall=hall, session_id=session_id)
        result = services.result_settle(
            session_id=session.pk,
            staff_user=user,
            winner_id=None if data["tie"] else data.get("winner_player"),
            result_winner=data["result_winner"],
            result_loser=data["result_loser"],
        )
        return Response(serializers.HistorySerializer(result, context={"request": request}).data)
