"""Reads of friends, friend requests and blocks, and the block checks every other app asks.

Where one player can reach another (invitations, chat, friend requests, the matchmaking list, automatic
pairing, and any later feature such as tournaments) the check is one of `blocks` (or `block_rows` inside a
larger query), `blocked_between`, `blocked_either_way_ids` or `blocked_pairs`, so the rule lives here once.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from apps.accounts.models import Player
from apps.ratings.models import GameResult
from apps.realtime.presence import presence_online_ids
from apps.reservations.models import GameSession
from apps.social.exceptions import FriendNotFound, FriendRequestNotFound
from apps.social.models import Block, FriendRequest, Friendship

FAVOURITE_OPPONENTS_MAX = 20


# --- Blocks ---------------------------------------------------------------------------------------


def blocks(*, blocker: Player, blocked: Player) -> bool:
    """Whether `blocker` has blocked `blocked` (one direction)."""
    return block_rows(blocker_id=blocker.pk, blocked_id=blocked.pk).exists()


def block_rows(*, blocker_id: int, blocked_id: int) -> QuerySet[Block]:
    """`blocker`'s block of `blocked` (one direction), as a queryset to test or to use in a larger query."""
    return Block.objects.filter(blocker_id=blocker_id, blocked_id=blocked_id)


def blocked_between(first: Player, second: Player) -> bool:
    """Whether either of the two blocks the other."""
    return Block.objects.filter(Q(blocker=first, blocked=second) | Q(blocker=second, blocked=first)).exists()


def blocked_either_way_ids(player: Player) -> set[int]:
    """Ids of the players I block and of those who block me: we keep out of each other's way."""
    rows = Block.objects.filter(Q(blocker=player) | Q(blocked=player)).values_list("blocker_id", "blocked_id")
    return {pk for pair in rows for pk in pair} - {player.pk}


def blocked_pairs(player_ids: Iterable[int]) -> set[frozenset[int]]:
    """Pairs among these players where one blocks the other."""
    ids = list(player_ids)
    rows = Block.objects.filter(blocker__in=ids, blocked__in=ids).values_list("blocker_id", "blocked_id")
    return {frozenset(pair) for pair in rows}


def blocks_of(*, player: Player) -> QuerySet[Block]:
    """The players I block, newest first."""
    return Block.objects.filter(blocker=player).select_related("blocked__user")


# --- Friends --------------------------------------------------------------------------------------


def are_friends(first: Player, second: Player) -> bool:
    return Friendship.objects.filter(player=first, friend=second).exists()


def friendship_of(*, player: Player, friend_id: int | str) -> Friendship:
    """My side of the friendship with that player; anybody else is FRIEND_NOT_FOUND."""
    try:
        return Friendship.objects.select_related("friend__user").get(player=player, friend_id=int(friend_id))
    except (ValueError, Friendship.DoesNotExist) as exc:
        raise FriendNotFound() from exc


@dataclass(frozen=True)
class HallPlace:
    hall_id: int
    title: str


def _playing_at(player_ids: list[int]) -> dict[int, HallPlace]:
    """Where each of these players has a game running now (one query)."""
    running = (
        GameSession.objects.filter(ended_at__isnull=True)
        .filter(Q(reservation__player_reserving__in=player_ids) | Q(reservation__other_player__in=player_ids))
        .values_list(
            "reservation__player_reserving_id", "reservation__other_player_id", "table__hall_id", "table__hall__title"
        )
    )
    wanted = set(player_ids)
    places: dict[int, HallPlace] = {}
    for booker_id, opponent_id, hall_id, title in running:
        for pk in (booker_id, opponent_id):
            if pk in wanted:
                places[pk] = HallPlace(hall_id=hall_id, title=title)
    return places


def friends_of(*, player: Player, friend_ids: Iterable[int] | None = None) -> list[Friendship]:
    """My friends (or just those of `friend_ids`), newest friendship first, each with their presence:
    `online` (a socket open now), `playing_at` (the hall of a game running now, or None); `last_seen` and
    `inviting_to_play` (looking for a game) are the friend's own fields. Two queries and one Redis round
    trip whatever the count."""
    mine = Friendship.objects.filter(player=player).select_related("friend__user")
    if friend_ids is not None:
        mine = mine.filter(friend_id__in=list(friend_ids))
    friendships = list(mine)
    ids = [friendship.friend_id for friendship in friendships]
    online = presence_online_ids(ids)
    places = _playing_at(ids)
    for friendship in friendships:
        friendship.online = friendship.friend_id in online  # type: ignore[attr-defined]
        friendship.playing_at = places.get(friendship.friend_id)  # type: ignore[attr-defined]
    return friendships


def friends_to_tell_looking(*, player: Player) -> QuerySet[Player]:
    """Players who are friends of `player` and asked to hear when they start looking for a game."""
    return Player.objects.filter(
        friendships__friend=player, friendships__notify_when_looking=True, user__is_active=True
    ).select_related("user")


# --- Friend requests ------------------------------------------------------------------------------


def friend_requests_received(*, player: Player) -> QuerySet[FriendRequest]:
    """Requests to me, newest first; those from players I block are never shown."""
    return (
        FriendRequest.objects.filter(recipient=player)
        .exclude(sender__in=Block.objects.filter(blocker=player).values("blocked"))
        .select_related("sender__user", "recipient__user")
    )


def friend_requests_sent(*, player: Player) -> QuerySet[FriendRequest]:
    """My requests still waiting, newest first (shown to me as pending whoever the recipient is)."""
    return FriendRequest.objects.filter(sender=player).select_related("sender__user", "recipient__user")


def friend_request_pending(*, sender: Player, recipient: Player) -> FriendRequest | None:
    return FriendRequest.objects.filter(sender=sender, recipient=recipient).first()


def friend_request_to_me(*, request_id: int | str, player: Player) -> FriendRequest:
    """A request I may answer: to me, from someone I do not block; else FRIEND_REQUEST_NOT_FOUND."""
    try:
        return friend_requests_received(player=player).get(pk=int(request_id))
    except (ValueError, FriendRequest.DoesNotExist) as exc:
        raise FriendRequestNotFound() from exc


def friend_request_from_me(*, request_id: int | str, player: Player) -> FriendRequest:
    try:
        return friend_requests_sent(player=player).get(pk=int(request_id))
    except (ValueError, FriendRequest.DoesNotExist) as exc:
        raise FriendRequestNotFound() from exc


# --- Favourite opponents --------------------------------------------------------------------------


@dataclass
class OpponentRecord:
    player: Player
    games: int
    wins: int
    losses: int
    ties: int
    last_played: datetime


def favourite_opponents(*, player: Player, limit: int = FAVOURITE_OPPONENTS_MAX) -> list[OpponentRecord]:
    """The players I have played most (final results), with our record: most games first, then the most
    recent. Two grouped queries over my results, then the page of players."""
    final = GameResult.objects.filter(status=GameResult.Status.FINAL)
    tallies: dict[int, dict[str, Any]] = {}
    for mine, theirs in (("winner", "loser"), ("loser", "winner")):
        rows = (
            final.filter(**{mine: player})
            .exclude(**{f"{theirs}__isnull": True})
            .values(f"{theirs}_id")
            .annotate(games=Count("id"), ties=Count("id", filter=Q(tie=True)), last=Max("created_at"))
        )
        for row in rows:
            tally = tallies.setdefault(
                row[f"{theirs}_id"], {"games": 0, "wins": 0, "losses": 0, "ties": 0, "last": row["last"]}
            )
            tally["games"] += row["games"]
            tally["ties"] += row["ties"]
            tally["wins" if mine == "winner" else "losses"] += row["games"] - row["ties"]
            tally["last"] = max(tally["last"], row["last"])
    ranked = sorted(tallies.items(), key=lambda item: (-item[1]["games"], -item[1]["last"].timestamp(), item[0]))
    ranked = ranked[: max(1, min(limit, FAVOURITE_OPPONENTS_MAX))]
    players = Player.objects.select_related("user").in_bulk([pk for pk, _tally in ranked])
    return [
        OpponentRecord(
            player=players[pk],
            games=tally["games"],
            wins=tally["wins"],
            losses=tally["losses"],
            ties=tally["ties"],
            last_played=tally["last"],
        )
        for pk, tally in ranked
        if pk in players
    ]
