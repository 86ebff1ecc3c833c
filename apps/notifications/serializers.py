from rest_framework import serializers

from apps.accounts.serializers import SimplePlayerSerializer
from apps.notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    sent_by = SimplePlayerSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "type", "body", "timestamp", "read", "extra", "sent_by"]
        extra_kwargs = {
            "body": {"help_text": "A sentence for people."},
            "extra": {
                "help_text": "Id of what it is about: the invitation (INV, REJ), the matchup (MSG, ACP), the "
                "reservation (RSV) or the game session (GSS, GSE, GRF, GRD)."
            },
        }


class UnreadSerializer(serializers.Serializer):
    unread = serializers.IntegerField(help_text="How many are unread.")
