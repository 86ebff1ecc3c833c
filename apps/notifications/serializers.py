from rest_framework import serializers

from apps.accounts.serializers import SimplePlayerSerializer
from apps.notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    sent_by = SimplePlayerSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "type", "body", "timestamp", "read", "extra", "sent_by"]


class UnreadSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
