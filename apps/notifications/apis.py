from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.selectors import player_require
from apps.core.apis import request_user
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
