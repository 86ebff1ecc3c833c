"""Friends and blocks: every write, for REST and for the matchmaking hooks alike.

Each action between two players locks both player rows in id order first (`players_lock`), so two
players asking each other, or one blocking while the other asks, serialise: one friendship at most.

Blocking reveals nothing to the blocked player: their friend requests and invitations to the blocker
are accepted as usual but never delivered (no notification, no frame, not listed), their messages are
stored but never reach the blocker; only the blocker is told "you blocked them" when they try to reach
the player they block. Pushes and notifications leave after commit.
"""

from django.conf import settings
from django.db import transaction

from apps.accounts.models import Player
from apps.accounts.services import players_lock
from apps.core.redis import redis_client
from apps.matchmaking import services as matchmaking  # a module import: it calls back (README, "Cycles")
from apps.notifications.models import Notification
from apps.notifications.services import notification_send
from apps.realtime import frames
from apps.realtime.push import push_to_user
from apps.social import exceptions
from apps.social.models import Block, FriendRequest, Friendship
from apps.social.selectors import (
    are_friends,
    blocks,
    friend_request_from_me,
    friend_request_pending,
    friend_request_to_me,
    friends_to_tell_looking,
    friendship_of,
)

FRIEND_LOOKING_MARK = "friend-looking:{}"


def _lock_pair(first: Player, second: Player) -> tuple[Player, Player]:
    locked = players_lock([first, second])
    return locked[first.pk], locked[second.pk]


@transaction.atomic
def friend_request_send(*, sender: Player, recipient: Player) -> FriendRequest:
    """Ask `recipient` to be friends. When they asked me first, asking back accepts theirs: the answer is
    then their request, with `accepted` set. A recipient who blocks me gets nothing, and I see my request
    pending as with anybody else."""
    if sender.pk == recipient.pk:
        raise exceptions.FriendRequestToSelf()
    sender, recipient = _lock_pair(sender, recipient)
    if blocks(blocker=sender, blocked=recipient):
        raise exceptions.YouBlockedThem()
    if are_friends(sender, recipient):
        raise exceptions.AlreadyFriends()
    if friend_request_pending(sender=sender, recipient=recipient) is not None:
        raise exceptions.FriendRequestAlreadySent()
    theirs = friend_request_pending(sender=recipient, recipient=sender)
    if theirs is not None:
        _befriend(theirs, requester=recipient, accepter=sender)
        theirs.accepted = True  # type: ignore[attr-defined]
        return theirs
    request = FriendRequest.objects.create(sender=sender, recipient=recipient)
    if not blocks(blocker=recipient, blocked=sender):
        notification_send(
            recipient=recipient,
            type=Notification.Type.FRIEND_REQUEST,
            body=f"{sender.user.username} wants to be your friend.",
            extra=str(request.pk),
            sent_by=sender,
        )
        frame = frames.friend_request(request, sender)
        user_id = recipient.user_id
        transaction.on_commit(lambda: push_to_user(user_id, frame))
    return request


def _befriend(request: FriendRequest, *, requester: Player, accepter: Player) -> Friendship:
    """Turn the request into a friendship (both players locked by the caller); the requester is told.
    Returns the accepter's side."""
    FriendRequest.objects.filter(sender__in=[requester, accepter], recipient__in=[requester, accepter]).delete()
    Friendship.objects.create(player=requester, friend=accepter)
    mine = Friendship.objects.create(player=accepter, friend=requester)
    Notification.objects.filter(
        recipient=accepter, type=Notification.Type.FRIEND_REQUEST, extra=str(request.pk), read=False
    ).update(read=True)
    notification_send(
        recipient=requester,
        type=Notification.Type.FRIEND_ACCEPTED,
        body=f"{accepter.user.username} accepted your friend request.",
        extra=str(accepter.pk),
        sent_by=accepter,
    )
    frame = frames.friend_accepted(accepter)
    user_id = requester.user_id
    transaction.on_commit(lambda: push_to_user(user_id, frame))
    return mine


@transaction.atomic
def friend_request_accept(*, player: Player, request_id: int | str) -> Friendship:
    """Accept a request to me: we are friends (my side is returned), and the sender is told."""
    request = friend_request_to_me(request_id=request_id, player=player)
    requester, accepter = _lock_pair(request.sender, player)
    if not FriendRequest.objects.filter(pk=request.pk).exists():  # cancelled while we waited for the locks
        raise exceptions.FriendRequestNotFound()
    return _befriend(request, requester=requester, accepter=accepter)


@transaction.atomic
def friend_request_decline(*, player: Player, request_id: int | str) -> None:
    """Decline a request to me. The sender is not told; the request just leaves their pending list."""
    request = friend_request_to_me(request_id=request_id, player=player)
    request.delete()
    Notification.objects.filter(
        recipient=player, type=Notification.Type.FRIEND_REQUEST, extra=str(request_id), read=False
    ).update(read=True)


@transaction.atomic
def friend_request_cancel(*, player: Player, request_id: int | str) -> None:
    """Withdraw my request; its notification leaves the recipient's list."""
    request = friend_request_from_me(request_id=request_id, player=player)
    Notification.objects.filter(
        recipient_id=request.recipient_id, type=Notification.Type.FRIEND_REQUEST, extra=str(request.pk)
    ).delete()
    request.delete()


@transaction.atomic
def friend_remove(*, player: Player, friend_id: int | str) -> None:
    """End a friendship, both sides. The other player is not told."""
    friendship = friendship_of(player=player, friend_id=friend_id)
    _unfriend(player, friendship.friend)


def _unfriend(first: Player, second: Player) -> None:
    Friendship.objects.filter(player__in=[first, second], friend__in=[first, second]).delete()


def friend_update(*, player: Player, friend_id: int | str, notify_when_looking: bool) -> Friendship:
    """My settings for one friend: whether I hear (FLK) when they start looking for a game."""
    friendship = friendship_of(player=player, friend_id=friend_id)
    if friendship.notify_when_looking != notify_when_looking:
        friendship.notify_when_looking = notify_when_looking
        friendship.save(update_fields=["notify_when_looking"])
    return friendship


@transaction.atomic
def block_create(*, blocker: Player, blocked: Player) -> Block:
    """Block a player: any friendship ends, friend requests between us go (theirs as a silent decline),
    my pending invitations to them are cancelled and our chat leaves my list. They are not told."""
    if blocker.pk == blocked.pk:
        raise exceptions.BlockSelf()
    blocker, blocked = _lock_pair(blocker, blocked)
    if blocks(blocker=blocker, blocked=blocked):
        raise exceptions.AlreadyBlocked()
    block = Block.objects.create(blocker=blocker, blocked=blocked)
    _unfriend(blocker, blocked)
    # Theirs goes as silently as a decline.
    FriendRequest.objects.filter(sender__in=[blocker, blocked], recipient__in=[blocker, blocked]).delete()
    matchmaking.players_separate(blocker=blocker, blocked=blocked)
    return block


@transaction.atomic
def block_remove(*, blocker: Player, blocked_id: int | str) -> None:
    """Unblock a player. What they sent while blocked stays undelivered: their friend requests of that
    time are dropped (as silently as a decline)."""
    try:
        deleted, _by_model = Block.objects.filter(blocker=blocker, blocked_id=int(blocked_id)).delete()
    except ValueError:
        deleted = 0
    if not deleted:
        raise exceptions.BlockNotFound()
    FriendRequest.objects.filter(sender_id=int(blocked_id), recipient=blocker).delete()
    unblocked = Player.objects.filter(pk=int(blocked_id)).values_list("user_id", flat=True).first()
    matchmaking.kept_apart_changed(blocker.user_id, *([unblocked] if unblocked is not None else []))


def friends_tell_looking(*, player: Player) -> int:
    """`player` started looking for a game: the friends who opted in get an FLK notification (pushed after
    commit), at most once per FRIEND_LOOKING_COOLDOWN_SECONDS however often the flag flips. Returns how
    many were told."""
    try:
        first = redis_client().set(
            FRIEND_LOOKING_MARK.format(player.pk), 1, nx=True, ex=settings.FRIEND_LOOKING_COOLDOWN_SECONDS
        )
    except Exception:  # noqa: BLE001 - without Redis the cooldown is skipped; the notifications still go
        first = True
    if not first:
        return 0
    told = 0
    for friend in friends_to_tell_looking(player=player):
        notification_send(
            recipient=friend,
            type=Notification.Type.FRIEND_LOOKING,
            body=f"{player.user.username} is looking for a game.",
            extra=str(player.pk),
            sent_by=player,
        )
        told += 1
    return told
