from django.db import models
from django.db.models import F, Q


class FriendRequest(models.Model):
    """A pending request; accepting makes a friendship, declining or cancelling deletes it.

    A request to a player who blocks the sender is stored like any other (so the sender learns nothing),
    but the recipient never sees it: it is neither notified nor listed.
    """

    sender = models.ForeignKey("accounts.Player", on_delete=models.CASCADE, related_name="friend_requests_sent")
    recipient = models.ForeignKey("accounts.Player", on_delete=models.CASCADE, related_name="friend_requests_received")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["sender", "recipient"], name="friend_request_once"),
            models.CheckConstraint(condition=~Q(sender=F("recipient")), name="no_self_friend_request"),
        ]

    def __str__(self) -> str:
        return f"friend request {self.sender_id} → {self.recipient_id}"


class Friendship(models.Model):
    """One side of a friendship: two rows per pair (written and deleted together), so "my friends" is one
    indexed lookup. Each side keeps its own opt-in to hear when the other starts looking for a game."""

    player = models.ForeignKey("accounts.Player", on_delete=models.CASCADE, related_name="friendships")
    friend = models.ForeignKey("accounts.Player", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    notify_when_looking = models.BooleanField(
        default=False, help_text="Tell `player` (notification FLK) when `friend` starts looking for a game."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["player", "friend"], name="friendship_once"),
            models.CheckConstraint(condition=~Q(player=F("friend")), name="no_self_friendship"),
        ]

    def __str__(self) -> str:
        return f"{self.player_id} befriends {self.friend_id}"


class Block(models.Model):
    """`blocker` keeps `blocked` away: no invitations, messages, friend requests or automatic pairing
    from them, and neither appears in the other's matchmaking list. `blocked` is never told."""

    blocker = models.ForeignKey("accounts.Player", on_delete=models.CASCADE, related_name="blocks")
    blocked = models.ForeignKey("accounts.Player", on_delete=models.CASCADE, related_name="blocked_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="no_self_block"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"
