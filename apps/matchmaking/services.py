"""Lobby, invitations and chat. Socket frames and REST twins both land here.

Every action between two players locks both player rows in id order first, so invite / accept / deny
by both sides at the same moment serialise: one matchup at most, and an answered invitation stays
answered. Pushes and domain events are sent after commit.
"""

from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.exceptions import NoPlayerProfile, PlayerNotFound
from apps.accounts.models import Player
from apps.accounts.services import players_lock, players_pair_lock
from apps.core.geo import distance_m
from apps.events.services import event_publish
from apps.matchmaking import exceptions
from apps.matchmaking.lobby import kept_off_changed
from apps.matchmaking.models import Invitation, Matchup, Message
from apps.matchmaking.selectors import (
    denied_pairs,
    invitation_checks,
    invitation_pending,
    matchup_of_member,
    matchup_open_between,
    met_pairs,
    rating_window,
)
from apps.notifications.models import Notification
from apps.notifications.services import notification_send
from apps.realtime import frames
from apps.realtime.push import push_to_lobby, push_to_user
from apps.social import services as social  # a module import: social calls back (README, "Cycles")
from apps.social.exceptions import YouBlockedThem
from apps.social.selectors import blocked_between, blocked_pairs, blocks


def _lock_pair(first: Player, second: Player) -> tuple[Player, Player]:
    locked = players_lock([first, second])
    return locked[first.pk], locked[second.pk]


def _set_looking(player: Player, looking: bool) -> None:
    """Write the flag on a locked player and announce a change to the lobby after commit; friends who
    asked to hear of it are told when the flag goes on."""
    if player.inviting_to_play == looking:
        return
    player.inviting_to_play = looking
    player.looking_since = timezone.now() if looking else None
    player.save(update_fields=["inviting_to_play", "looking_since"])
    frame = frames.lobby_changed(player, looking=looking)
    transaction.on_commit(lambda: push_to_lobby(frame))
    if looking:
        social.friends_tell_looking(player=player)


@transaction.atomic
def lobby_set_looking(
    *, player: Player, looking: bool | None = None, auto_pair: bool | None = None, toggle: bool = False
) -> Player:
    """Set my "looking for a game" flag (or `toggle` it); optionally ask to be paired automatically by
    the pairing waves. A None leaves that setting as it is."""
    locked = Player.objects.select_for_update().select_related("user").get(pk=player.pk)
    if auto_pair is not None and locked.auto_pair != auto_pair:
        locked.auto_pair = auto_pair
        locked.save(update_fields=["auto_pair"])
    if toggle:
        looking = not locked.inviting_to_play
    if looking is not None:
        _set_looking(locked, looking)
    return locked


@transaction.atomic
def invitation_send(*, inviter_id: int, invitee_id: int) -> Invitation:
    """Invite a player (REST, the socket's invite action and the friend list all call this). An invitee who
    blocks me gets nothing (no notification, no frame, not listed): the invitation just lapses, as an
    unanswered one does, and I learn nothing.

    Both players are locked by id (as every action between two players locks them), then every rule is
    read in one query; the invitation and the notification are written, and after commit the invitee's
    sockets get the `invited` frame first, then the notification (and the outbox wakes for their phones).
    A missing or deactivated invitee is PLAYER_NOT_FOUND."""
    if inviter_id == invitee_id:
        raise exceptions.InvalidInvitee()
    locked = players_pair_lock(inviter_id, invitee_id)
    inviter, invitee = locked.get(inviter_id), locked.get(invitee_id)
    if invitee is None or not invitee.user.is_active:
        raise PlayerNotFound()
    if inviter is None:
        raise NoPlayerProfile()
    checks = invitation_checks(inviter_id=inviter_id, invitee_id=invitee_id)
    if checks["i_block_them"]:
        raise YouBlockedThem()
    if checks["pending"]:
        raise exceptions.AlreadyInvited()
    if checks["denied_recently"]:
        raise exceptions.DeniedRecently()
    if checks["open_chat"]:
        raise exceptions.AlreadyMatched()
    invitation = Invitation.objects.create(
        player_inviting_id=inviter_id,
        player_invited_id=invitee_id,
        expires_at=timezone.now() + timedelta(minutes=settings.INVITATION_TTL_MINUTES),
    )
    if checks["they_block_me"]:
        return invitation
    # The `invited` frame goes out after commit just before the notification's, in the same push.
    notification_send(
        recipient=invitee,
        type=Notification.Type.INVITED,
        body=f"{inviter.user.username} invites you to play.",
        extra=str(invitation.pk),
        sent_by=inviter,
        recipient_has_device=checks["invitee_has_device"],
        frames_before=[frames.invited(invitation, inviter)],
    )
    return invitation


@transaction.atomic
def invitation_accept(*, invitee: Player, inviter: Player) -> Matchup:
    """Accept `inviter`'s invitation: a chat for both, both lobby flags off, other invitations cancelled."""
    inviter, invitee = _lock_pair(inviter, invitee)
    _answer(inviter, invitee, Invitation.Status.ACCEPTED)
    return _matchup_open(inviter=inviter, accepter=invitee)


def _answer(inviter: Player, invitee: Player, status: str) -> Invitation:
    """Mark the pending invitation answered (the caller holds both players' locks). One from a player
    the invitee blocks was never delivered, so it is not there to answer."""
    invitation = invitation_pending(inviter=inviter, invitee=invitee).select_for_update().first()
    if invitation is None or blocks(blocker=invitee, blocked=inviter):
        raise exceptions.InvitationNotFound()
    invitation.status = status
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["status", "answered_at"])
    return invitation


def kept_apart_changed(*user_ids: int) -> None:
    """Whom these users are kept from on their matchmaking lists changed (a chat opened, hidden or shown
    again, a denial, a block): the lists' kept copies (apps/matchmaking/lobby.py) go after commit."""
    transaction.on_commit(lambda: kept_off_changed(*user_ids))


def _matchup_open(*, inviter: Player, accepter: Player) -> Matchup:
    """A game was agreed (both players locked by the caller): the chat, both lobby flags off, the other
    pending invitations of both cancelled, the inviter notified, both sockets told after commit."""
    matchup = Matchup.objects.create(player_inviting=inviter, player_accepting=accepter)
    kept_apart_changed(inviter.user_id, accepter.user_id)
    for player in (inviter, accepter):
        _set_looking(player, False)
    Invitation.objects.filter(
        Q(player_inviting__in=[inviter, accepter]) | Q(player_invited__in=[inviter, accepter]),
        status=Invitation.Status.PENDING,
    ).update(status=Invitation.Status.CANCELLED, answered_at=timezone.now())
    notification_send(
        recipient=inviter,
        type=Notification.Type.ACCEPTED,
        body=f"{accepter.user.username} accepted your invitation.",
        extra=str(matchup.pk),
        sent_by=accepter,
    )
    event_publish("InvitationCleanup", {"player_ids": [inviter.pk, accepter.pk]})
    told = {
        accepter.user_id: frames.invitation_accepted(matchup, inviter=inviter, accepter=accepter, role="accepter"),
        inviter.user_id: frames.invitation_accepted(matchup, inviter=inviter, accepter=accepter, role="inviter"),
    }

    def announce() -> None:
        for user_id, frame in told.items():
            push_to_user(user_id, frame)

    transaction.on_commit(announce)
    return matchup


@transaction.atomic
def invitation_deny(*, invitee: Player, inviter: Player) -> Invitation:
    """Deny: the inviter is told, and sees me no more in the lobby list for the cooldown."""
    inviter, invitee = _lock_pair(inviter, invitee)
    invitation = _answer(inviter, invitee, Invitation.Status.DENIED)
    kept_apart_changed(inviter.user_id)  # I leave the inviter's list for the cooldown
    notification_send(
        recipient=inviter,
        type=Notification.Type.REJECTED,
        body=f"{invitee.user.username} declined your invitation.",
        extra=str(invitation.pk),
        sent_by=invitee,
    )
    # The denied invitation hides me from the inviter's list for the cooldown, so it is deleted after it.
    event_publish(
        "InvitationDeniedDelete", {"invitation_id": invitation.pk}, delay_seconds=settings.DENIAL_COOLDOWN_SECONDS
    )
    frame = frames.invitation_denied(invitee)
    user_id = inviter.user_id
    transaction.on_commit(lambda: push_to_user(user_id, frame))
    return invitation


def formatted_time(moment: datetime) -> str:
    return str(moment.astimezone(ZoneInfo(settings.CHAT_TIME_ZONE)).strftime("%H:%M"))


@transaction.atomic
def message_send(*, sender: Player, matchup_id: UUID | str, body: str) -> Message:
    """Store a chat message, then push it to the other member; coalesces the MSG notification.

    A message to a member who blocks me is stored and answered as usual but never reaches them (no push,
    no notification, the chat stays hidden for them); one to a member I block is refused."""
    text = (body or "").strip()
    if not 1 <= len(text) <= settings.CHAT_MESSAGE_MAX_LENGTH:
        raise exceptions.InvalidMessage()
    matchup = matchup_of_member(matchup_id=matchup_id, player=sender)
    matchup = Matchup.objects.select_for_update().get(pk=matchup.pk)
    recipient = Player.objects.select_related("user").get(pk=matchup.other_member_id(sender.pk))
    if blocks(blocker=sender, blocked=recipient):
        raise YouBlockedThem()
    held_back = blocks(blocker=recipient, blocked=sender)
    previous = matchup.last_message_at
    now = timezone.now()
    outdated = previous is None or now - previous > timedelta(minutes=settings.CHAT_OUTDATED_MINUTES)
    message = Message.objects.create(matchup=matchup, sender=sender, body=text, after_outdated=outdated)
    recipient_read_at = getattr(matchup, matchup.read_field_of(recipient.pk))
    was_unread = previous is not None and (recipient_read_at is None or recipient_read_at < previous)
    matchup.last_message_at = message.time_sent
    setattr(matchup, matchup.read_field_of(sender.pk), message.time_sent)
    hidden = (matchup.inviting_hidden, matchup.accepting_hidden)
    if held_back:  # my side of the chat comes back, theirs stays hidden
        setattr(matchup, "inviting_hidden" if sender.pk == matchup.player_inviting_id else "accepting_hidden", False)
    else:
        matchup.inviting_hidden = matchup.accepting_hidden = False
    if (matchup.inviting_hidden, matchup.accepting_hidden) != hidden:
        kept_apart_changed(sender.user_id, recipient.user_id)  # the chat is back on a list: kept apart again
    matchup.save(
        update_fields=[
            "last_message_at",
            "inviting_read_at",
            "accepting_read_at",
            "inviting_hidden",
            "accepting_hidden",
        ]
    )
    if held_back:
        return message
    if not Notification.objects.filter(
        recipient=recipient, type=Notification.Type.MESSAGE, extra=str(matchup.pk), read=False
    ).exists():
        notification_send(
            recipient=recipient,
            type=Notification.Type.MESSAGE,
            body=f"New message from {sender.user.username}.",
            extra=str(matchup.pk),
            sent_by=sender,
        )
    frame = frames.chat_message(
        message,
        sender=sender,
        formatted_time=formatted_time(message.time_sent),
        outdated=outdated,
        counts_as_unread=not was_unread,
    )
    user_id = recipient.user_id
    transaction.on_commit(lambda: push_to_user(user_id, frame))
    return message


def matchup_mark_read(*, matchup_id: UUID | str, player: Player) -> Matchup:
    matchup = matchup_of_member(matchup_id=matchup_id, player=player)
    field = matchup.read_field_of(player.pk)
    now = timezone.now()
    Matchup.objects.filter(pk=matchup.pk).update(**{field: now})
    setattr(matchup, field, now)
    Notification.objects.filter(
        recipient=player, type=Notification.Type.MESSAGE, extra=str(matchup.pk), read=False
    ).update(read=True)
    return matchup


def matchup_hide(*, matchup_id: UUID | str, player: Player) -> None:
    """Remove the chat from my list (the other member keeps it until they hide it too)."""
    matchup = matchup_of_member(matchup_id=matchup_id, player=player)
    field = "inviting_hidden" if player.pk == matchup.player_inviting_id else "accepting_hidden"
    Matchup.objects.filter(pk=matchup.pk).update(**{field: True})
    kept_apart_changed(player.user_id)


@transaction.atomic
def player_went_offline(*, player_id: int) -> None:
    """The player's last socket closed: remember when, and take them out of the lobby."""
    player = Player.objects.select_for_update().select_related("user").filter(pk=player_id).first()
    if player is None:
        return
    player.last_seen = timezone.now()
    player.save(update_fields=["last_seen"])
    _set_looking(player, False)


def _pair_fits(first: Player, second: Player, window: float) -> float | None:
    """Fit score of a pair (lower is better), None when outside the rating window or the radius."""
    rating_gap = abs(first.rating - second.rating)
    if rating_gap > window:
        return None
    score = rating_gap / window
    if None not in (first.latitude, first.longitude, second.latitude, second.longitude):
        metres = distance_m(first.latitude, first.longitude, second.latitude, second.longitude)  # type: ignore[arg-type]
        radius = settings.MATCHMAKING_RADIUS_KM * 1000
        if metres > radius:
            return None
        score += metres / radius
    return score


def auto_pair_wave(*, limit: int = 500) -> int:
    """One pairing wave: players who asked for automatic pairing, longest waiting first, each paired
    with the best fit by rating (both players' windows) and distance; never with someone they already
    had a chat with, who denied them within the cooldown, or when either blocks the other. Returns the
    number of pairs made."""
    waiting = list(
        Player.objects.filter(auto_pair=True, inviting_to_play=True, user__is_active=True)
        .select_related("user")
        .order_by("looking_since", "pk")[:limit]
    )
    ids = [player.pk for player in waiting]
    met = met_pairs(ids) | denied_pairs(ids) | blocked_pairs(ids)
    paired: set[int] = set()
    made = 0
    for player in waiting:
        if player.pk in paired:
            continue
        best: tuple[float, Player] | None = None
        for other in waiting:
            if other.pk == player.pk or other.pk in paired or frozenset((player.pk, other.pk)) in met:
                continue
            score = _pair_fits(player, other, min(rating_window(player), rating_window(other)))
            if score is not None and (best is None or score < best[0]):
                best = (score, other)
        if best is None:
            continue
        if _auto_pair(player, best[1]):
            paired.update((player.pk, best[1].pk))
            made += 1
    return made


@transaction.atomic
def _auto_pair(first: Player, second: Player) -> bool:
    """Pair two waiting players if both still wait (re-checked under their locks)."""
    first, second = _lock_pair(first, second)
    if not all(p.auto_pair and p.inviting_to_play for p in (first, second)):
        return False
    if matchup_open_between(first, second) is not None or blocked_between(first, second):
        return False
    _matchup_open(inviter=first, accepter=second)
    return True


def players_separate(*, blocker: Player, blocked: Player) -> None:
    """`blocker` just blocked `blocked` (both locked by the caller): my pending invitations to them are
    cancelled and our chat leaves my list. Theirs to me stay as they are, undelivered, so that nothing
    changes on their side."""
    Invitation.objects.filter(player_inviting=blocker, player_invited=blocked, status=Invitation.Status.PENDING).update(
        status=Invitation.Status.CANCELLED, answered_at=timezone.now()
    )
    Matchup.objects.filter(player_inviting=blocker, player_accepting=blocked).update(inviting_hidden=True)
    Matchup.objects.filter(player_inviting=blocked, player_accepting=blocker).update(accepting_hidden=True)
    kept_apart_changed(blocker.user_id, blocked.user_id)  # the block keeps them apart both ways
