from django.urls import URLPattern

from apps.accounts import apis
from apps.core.routes import route

auth_urlpatterns: list[URLPattern] = [
    route("users/", apis.RegisterApi.as_view(), name="register"),
    route("users/set_password/", apis.SetPasswordApi.as_view(), name="set-password"),
    route("users/set_username/", apis.SetUsernameApi.as_view(), name="set-username"),
    route("jwt/create/", apis.LoginApi.as_view(), name="jwt-create"),
    route("jwt/refresh/", apis.RefreshApi.as_view(), name="jwt-refresh"),
    route("jwt/verify/", apis.VerifyApi.as_view(), name="jwt-verify"),
]

users_urlpatterns: list[URLPattern] = [
    route("activate/<str:uid>/<str:token>/", apis.ActivateApi.as_view(), name="activate"),
    route("current-user/", apis.CurrentUserApi.as_view(), name="current-user"),
    route("auth_for_ws_connection/", apis.WsTicketApi.as_view(), name="ws-ticket"),
    route("google-auth/", apis.GoogleAuthApi.as_view(), name="google-auth"),
    route("get-code-forget/", apis.GetCodeApi.as_view(), name="get-code"),
    route("verify-code-forget/", apis.VerifyCodeForgetApi.as_view(), name="verify-code-forget"),
    route("set-forget-password/", apis.SetForgetPasswordApi.as_view(), name="set-forget-password"),
    route("verify-code/", apis.VerifyCodeApi.as_view(), name="verify-code"),
    route("set-g-password/", apis.SetGooglePasswordApi.as_view(), name="set-g-password"),
    route("delete-user/", apis.DeleteUserApi.as_view(), name="delete-user"),
]

api_urlpatterns: list[URLPattern] = [
    route("player-location/", apis.PlayerLocationApi.as_view(), name="player-location"),
    route("players/", apis.PlayerViewSet.as_view({"get": "list"}), name="player-list"),
    route(
        "players/<int:pk>/",
        apis.PlayerViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="player-detail",
    ),
]
