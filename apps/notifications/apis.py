from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.selectors import player_require
from apps.core.apis import request_user, validated
from apps.notifications import selectors, serializers, services


class NotificationListApi(generics.GenericAPIView):
    serializer_class = serializers.NotificationSerializer

    @extend_schema(responses=serializers.NotificationSerializer(many=True))
    def get(self, request: Request) -> Response:
        """My notifications, newest first, paged."""
        notifications = selectors.notifications_of(recipient=player_require(request_user(request)))
        page = self.paginate_queryset(notifications)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class NotificationReadApi(APIView):
    @extend_schema(request=None, responses={200: serializers.NotificationSerializer})
    def put(self, request: Request, notification_id: str) -> Response:
        """Mark one of my notifications read."""
        notification = services.notification_mark_read(
            notification_id=int(notification_id), recipient=player_require(request_user(request))
        )
        return Response(serializers.NotificationSerializer(notification, context={"request": request}).data)


class MarkAllReadApi(APIView):
    @extend_schema(request=None, responses={200: serializers.UnreadSerializer})
    def put(self, request: Request) -> Response:
        """Mark all my notifications read."""
        services.notifications_mark_all_read(recipient=player_require(request_user(request)))
        return Response({"unread": 0})


class UnreadNotificationsApi(APIView):
    @extend_schema(responses={200: serializers.UnreadSerializer})
    def get(self, request: Request) -> Response:
        """How many of my notifications are unread."""
        count = selectors.unread_notifications_count(recipient=player_require(request_user(request)))
        return Response({"unread": count})


class DevicesApi(APIView):
    @extend_schema(responses={200: serializers.DeviceSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """My devices registered for mobile pushes, newest first."""
        devices = selectors.devices_of(player=player_require(request_user(request)))
        return Response(serializers.DeviceSerializer(devices, many=True).data)

    @extend_schema(request=serializers.DeviceInputSerializer, responses={201: serializers.DeviceSerializer})
    def post(self, request: Request) -> Response:
        """Register this device for mobile pushes.

        Idempotent: the same token again answers the same device. A token registered by another account
        moves to mine (the app on that phone is signed in to me now).
        """
        data = validated(serializers.DeviceInputSerializer, request.data)
        device = services.device_register(
            player=player_require(request_user(request)), platform=data["platform"], token=data["token"]
        )
        return Response(serializers.DeviceSerializer(device).data, status=status.HTTP_201_CREATED)


class DeviceApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, device_id: str) -> Response:
        """Unregister one of my devices (on logout); it gets no more pushes."""
        services.device_remove(player=player_require(request_user(request)), device_id=device_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PushSettingsApi(APIView):
    @extend_schema(responses={200: serializers.PushSettingsSerializer})
    def get(self, request: Request) -> Response:
        """My mobile push settings.

        Time zone, quiet hours, muted kinds and the kinds pushed even while a socket is open.
        """
        push_settings = selectors.push_settings_of(player=player_require(request_user(request)))
        return Response(serializers.PushSettingsSerializer(push_settings).data)

    @extend_schema(request=serializers.PushSettingsInputSerializer, responses={200: serializers.PushSettingsSerializer})
    def put(self, request: Request) -> Response:
        """Change my mobile push settings; fields left out stay as they are."""
        data = validated(serializers.PushSettingsInputSerializer, request.data)
        push_settings = services.push_settings_update(player=player_require(request_user(request)), **data)
        return Response(serializers.PushSettingsSerializer(push_settings).data)
