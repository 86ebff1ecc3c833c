from django.urls import URLPattern

from apps.core.routes import route
from apps.social import apis

urlpatterns: list[URLPattern] = [
    route("friends/", apis.FriendsApi.as_view(), name="friends"),
    route("friends/<int:player_id>/", apis.FriendApi.as_view(), name="friend"),
    route("friends/<int:player_id>/invite/", apis.FriendInviteApi.as_view(), name="friend-invite"),
    route("friend-requests/", apis.FriendRequestsApi.as_view(), name="friend-requests"),
    route("friend-requests/<int:request_id>/", apis.FriendRequestApi.as_view(), name="friend-request"),
    route(
        "friend-requests/<int:request_id>/accept/", apis.FriendRequestAcceptApi.as_view(), name="friend-request-accept"
    ),
    route(
        "friend-requests/<int:request_id>/decline/",
        apis.FriendRequestDeclineApi.as_view(),
        name="friend-request-decline",
    ),
    route("blocks/", apis.BlocksApi.as_view(), name="blocks"),
    route("blocks/<int:player_id>/", apis.BlockApi.as_view(), name="block"),
    route("favourite-opponents/", apis.FavouriteOpponentsApi.as_view(), name="favourite-opponents"),
]
