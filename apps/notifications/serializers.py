from rest_framework import serializers

from apps.accounts.serializers import SimplePlayerSerializer
from apps.notifications.models import PUSH_KINDS, Device, Notification, PushSettings


class NotificationSerializer(serializers.ModelSerializer):
    sent_by = SimplePlayerSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "type", "body", "timestamp", "read", "extra", "sent_by"]
        extra_kwargs = {
            "body": {"help_text": "A sentence for people."},
            "extra": {
                "help_text": "Id of what it is about: the invitation (INV, REJ), the matchup (MSG, ACP), the "
                "reservation (RSV, GSN), the game session (GSS, GSE, GRF, GRD), the friend request (FRQ) or "
                "the player (FRA, FLK)."
            },
        }


class UnreadSerializer(serializers.Serializer):
    unread = serializers.IntegerField(help_text="How many are unread.")


class DeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["id", "platform", "token", "created_at"]
        extra_kwargs = {
            "platform": {"help_text": "`FCM` (Android and web) or `APNS` (iOS)."},
            "token": {"help_text": "The push token the platform gave the app."},
            "created_at": {"help_text": "When it was first registered."},
        }


class DeviceInputSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(
        choices=Device.Platform.choices, help_text="`FCM` (Android and web) or `APNS` (iOS)."
    )
    # Its form is checked by the service (INVALID_DEVICE_TOKEN), whatever its length.
    token = serializers.CharField(
        trim_whitespace=False,
        allow_blank=True,
        help_text="The push token: FCM 32 to 512 of letters, digits, ':', '-', '_'; APNs 64 to 200 hex digits.",
    )


def _kind() -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=[kind.value for kind in PUSH_KINDS])


class PushSettingsSerializer(serializers.ModelSerializer):
    muted = serializers.ListField(child=_kind(), help_text="Notification types never pushed to my phones.")
    always = serializers.ListField(child=_kind(), help_text="Types pushed even while I have a socket open.")

    class Meta:
        model = PushSettings
        fields = ["time_zone", "quiet_hours_start", "quiet_hours_end", "muted", "always"]
        extra_kwargs = {
            "time_zone": {"help_text": "My time zone (IANA name); quiet hours are read in it."},
            "quiet_hours_start": {"help_text": "No pushes from this local time (HH:MM); null: no quiet hours."},
            "quiet_hours_end": {"help_text": "... until this local time; earlier than the start spans midnight."},
        }


class PushSettingsInputSerializer(serializers.Serializer):
    time_zone = serializers.CharField(
        required=False, max_length=64, help_text="My time zone (IANA name, e.g. Europe/Berlin)."
    )
    quiet_hours_start = serializers.TimeField(
        required=False, allow_null=True, help_text="Start of the quiet hours (local HH:MM), or null for none."
    )
    quiet_hours_end = serializers.TimeField(
        required=False, allow_null=True, help_text="End of the quiet hours (local HH:MM), or null for none."
    )
    muted = serializers.ListField(
        child=_kind(), required=False, max_length=len(PUSH_KINDS), help_text="Types never pushed."
    )
    always = serializers.ListField(
        child=_kind(), required=False, max_length=len(PUSH_KINDS), help_text="Types pushed even while a socket is open."
    )
