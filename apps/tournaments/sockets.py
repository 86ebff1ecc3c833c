"""What the sockets' tournament actions run in a thread: frames checked with the REST twins' serializers,
then the same services and selectors as REST. The consumers stay thin and only await these."""

from typing import Any

from apps.accounts.models import Player, User
from apps.realtime import frames
from apps.realtime.walkup_socket import frame_id, frame_input
from apps.tournaments import selectors, serializers, services, shapes
from apps.tournaments.models import Match

Frame = dict[str, Any]


def snapshot_frame(*, tournament_id: Any) -> tuple[int, Frame]:
    """(the tournament's id, its `tournament_snapshot` frame); TOURNAMENT_NOT_FOUND when there is none."""
    pk = frame_id(tournament_id, "tournament_id")
    return pk, frames.tournament_snapshot(shapes.snapshot_data(selectors.snapshot_rows(tournament_id=pk)))


def check_in(*, content: dict[str, Any], user: User, player: Player) -> None:
    services.tournament_check_in(
        tournament_id=frame_id(content.get("tournament_id"), "tournament_id"), player_id=player.pk, user=user
    )


def report(*, content: dict[str, Any], player: Player) -> Match:
    data = frame_input(serializers.MatchReportInputSerializer, content)
    return services.match_report(
        tournament_id=frame_id(content.get("tournament_id"), "tournament_id"),
        match_id=frame_id(content.get("match_id"), "match_id"),
        player=player,
        my_score=data["my_score"],
        opponent_score=data["opponent_score"],
    )


def rack(*, content: dict[str, Any], user: User) -> Match:
    data = frame_input(serializers.RackInputSerializer, content)
    return services.match_rack(
        tournament_id=frame_id(content.get("tournament_id"), "tournament_id"),
        match_id=frame_id(content.get("match_id"), "match_id"),
        user=user,
        player_id=data["player"],
        delta=int(data["delta"]),
    )
