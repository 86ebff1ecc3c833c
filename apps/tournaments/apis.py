"""REST for tournaments: the public list and bracket, the players' registration, check-in, scores and
live racks, and the staff's creation, start, calls, moves, forfeits, results and undo. Thin: each view
validates its input and calls one service; the answers are the snapshot's shapes."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.selectors import player_require
from apps.core.apis import request_user, validated
from apps.halls.selectors import hall_get_plain
from apps.tournaments import selectors, serializers, services, shapes
from apps.tournaments.exceptions import MatchNotFound
from apps.tournaments.models import Entry


def _snapshot(tournament_id: int | str) -> dict[str, Any]:
    return shapes.snapshot_data(selectors.snapshot_rows(tournament_id=tournament_id))


def _card(tournament_id: int | str, match_id: int) -> dict[str, Any]:
    card = next((card for card in _snapshot(tournament_id)["matches"] if card["id"] == match_id), None)
    if card is None:
        raise MatchNotFound()
    return card


def _entry(entry: Entry) -> dict[str, Any]:
    (row,) = selectors.entry_rows(tournament_id=entry.tournament_id, entry_ids=[entry.pk])
    return shapes.entry_data(row)


class TournamentsApi(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        parameters=[serializers.TournamentListInputSerializer],
        responses={200: serializers.TournamentSummarySerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        """Tournaments, the next to start first.

        Filtered by `hall` and `state` (`registration`, `running`, `finished`); at most 100.
        """
        query = validated(serializers.TournamentListInputSerializer, request.query_params)
        tournaments = list(selectors.tournament_list(hall_id=query.get("hall"), state=query.get("state"))[:100])
        counts = selectors.registered_counts(tournament_ids=[t.pk for t in tournaments])
        return Response([shapes.summary_data(t, registered=counts.get(t.pk, 0)) for t in tournaments])

    @extend_schema(
        request=serializers.TournamentCreateInputSerializer, responses={201: serializers.TournamentSerializer}
    )
    def post(self, request: Request) -> Response:
        """Create a tournament (hall staff).

        Its tables are held for its hours through the booking service, so no player can book them; the
        booking rules apply (opening hours, overlaps). Times without an offset are the hall's.
        """
        data = validated(serializers.TournamentCreateInputSerializer, request.data)
        hall = hall_get_plain(hall_id=data.pop("hall"))
        tournament = services.tournament_create(
            hall=hall, staff_user=request_user(request), table_ids=data.pop("tables"), **data
        )
        return Response(_snapshot(tournament.pk), status=status.HTTP_201_CREATED)


class TournamentApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: serializers.TournamentSerializer})
    def get(self, request: Request, tournament_id: str) -> Response:
        """A tournament with its draw, matches, tables and standings.

        The same shape the socket's `tournament_snapshot` carries and the bracket page shows.
        """
        return Response(_snapshot(tournament_id))


class TournamentMatchesApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: serializers.MatchCardSerializer(many=True)})
    def get(self, request: Request, tournament_id: str) -> Response:
        """A tournament's matches with their scores and estimated starts.

        In calling order within each bracket; every match still to be called has an estimated start.
        """
        return Response(_snapshot(tournament_id)["matches"])


class RegisterApi(APIView):
    @extend_schema(request=None, responses={201: serializers.TournamentEntrySerializer})
    def post(self, request: Request, tournament_id: str) -> Response:
        """Register for a tournament.

        While registration is open and there is room; after withdrawing, one may register again.
        """
        entry = services.tournament_register(tournament_id=tournament_id, player=player_require(request_user(request)))
        return Response(_entry(entry), status=status.HTTP_201_CREATED)


class WithdrawApi(APIView):
    @extend_schema(request=None, responses={200: serializers.TournamentEntrySerializer})
    def post(self, request: Request, tournament_id: str) -> Response:
        """Withdraw from a tournament before it starts."""
        entry = services.tournament_withdraw(tournament_id=tournament_id, player=player_require(request_user(request)))
        return Response(_entry(entry))


class CheckInApi(APIView):
    @extend_schema(request=serializers.CheckInInputSerializer, responses={200: serializers.TournamentEntrySerializer})
    def post(self, request: Request, tournament_id: str) -> Response:
        """Check in for a tournament.

        A player checks in during the check-in window; the hall's staff check in `player` at the desk.
        """
        data = validated(serializers.CheckInInputSerializer, request.data)
        user = request_user(request)
        player_id = data.get("player") or player_require(user).pk
        entry = services.tournament_check_in(tournament_id=tournament_id, player_id=player_id, user=user)
        return Response(_entry(entry))


class StartApi(APIView):
    @extend_schema(request=None, responses={200: serializers.TournamentSerializer})
    def post(self, request: Request, tournament_id: str) -> Response:
        """Start a tournament (hall staff).

        Players not checked in are dropped, the rest drawn, and the first matches called to free tables.
        """
        tournament = services.tournament_start(tournament_id=tournament_id, staff_user=request_user(request))
        return Response(_snapshot(tournament.pk))


class UndoApi(APIView):
    @extend_schema(request=None, responses={200: serializers.TournamentSerializer})
    def post(self, request: Request, tournament_id: str) -> Response:
        """Undo the tournament's last result (hall staff).

        The matches it decided reopen, unless one of them has started.
        """
        services.tournament_undo(tournament_id=tournament_id, staff_user=request_user(request))
        return Response(_snapshot(tournament_id))


class ReportApi(APIView):
    @extend_schema(request=serializers.MatchReportInputSerializer, responses={200: serializers.MatchCardSerializer})
    def post(self, request: Request, tournament_id: str, match_id: str) -> Response:
        """Report my match's rack score.

        The score must end the race. Two agreeing reports make the result final; disagreeing ones go to
        the hall's staff.
        """
        data = validated(serializers.MatchReportInputSerializer, request.data)
        match = services.match_report(
            tournament_id=tournament_id,
            match_id=match_id,
            player=player_require(request_user(request)),
            my_score=data["my_score"],
            opponent_score=data["opponent_score"],
        )
        return Response(_card(tournament_id, match.pk))


class RackApi(APIView):
    @extend_schema(request=serializers.RackInputSerializer, responses={200: serializers.MatchCardSerializer})
    def post(self, request: Request, tournament_id: str, match_id: str) -> Response:
        """Add a rack to a match being played (live score).

        By a player of the match or the hall's staff; `delta` -1 takes a rack back.
        """
        data = validated(serializers.RackInputSerializer, request.data)
        match = services.match_rack(
            tournament_id=tournament_id,
            match_id=match_id,
            user=request_user(request),
            player_id=data["player"],
            delta=int(data["delta"]),
        )
        return Response(_card(tournament_id, match.pk))


class StaffResultApi(APIView):
    @extend_schema(request=serializers.StaffResultInputSerializer, responses={200: serializers.MatchCardSerializer})
    def post(self, request: Request, tournament_id: str, match_id: str) -> Response:
        """Enter a match's score (hall staff).

        Final at once: for a game played on a table its ratings move once, and the bracket advances.
        """
        data = validated(serializers.StaffResultInputSerializer, request.data)
        match = services.match_result_by_staff(
            tournament_id=tournament_id,
            match_id=match_id,
            staff_user=request_user(request),
            score_a=data["score_a"],
            score_b=data["score_b"],
        )
        return Response(_card(tournament_id, match.pk))


class CallApi(APIView):
    @extend_schema(request=serializers.CallInputSerializer, responses={200: serializers.MatchCardSerializer})
    def post(self, request: Request, tournament_id: str, match_id: str) -> Response:
        """Call a ready match to a table by hand (hall staff)."""
        data = validated(serializers.CallInputSerializer, request.data)
        match = services.match_call(
            tournament_id=tournament_id,
            match_id=match_id,
            staff_user=request_user(request),
            table_id=data.get("table_id"),
        )
        return Response(_card(tournament_id, match.pk))


class MoveApi(APIView):
    @extend_schema(request=serializers.MoveInputSerializer, responses={200: serializers.MatchCardSerializer})
    def post(self, request: Request, tournament_id: str, match_id: str) -> Response:
        """Move a match being played to another free table (hall staff)."""
        data = validated(serializers.MoveInputSerializer, request.data)
        match = services.match_move(
            tournament_id=tournament_id, match_id=match_id, staff_user=request_user(request), table_id=data["table_id"]
        )
        return Response(_card(tournament_id, match.pk))


class ForfeitApi(APIView):
    @extend_schema(request=serializers.ForfeitInputSerializer, responses={200: serializers.MatchCardSerializer})
    def post(self, request: Request, tournament_id: str, match_id: str) -> Response:
        """Forfeit a no-show (hall staff): the other player wins without a game."""
        data = validated(serializers.ForfeitInputSerializer, request.data)
        match = services.match_forfeit(
            tournament_id=tournament_id, match_id=match_id, staff_user=request_user(request), player_id=data["player"]
        )
        return Response(_card(tournament_id, match.pk))
