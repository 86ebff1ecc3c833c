"""Thin REST interfaces for accounts: validate, call one service or selector, serialize."""

from collections.abc import Sequence
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView, TokenVerifyView

from apps.accounts import selectors, serializers, services
from apps.accounts.exceptions import NotYourPlayer
from apps.accounts.models import Player
from apps.core.apis import request_user, validated
from apps.core.parsing import BoundedJSONParser
from apps.core.schema import DetailSerializer, ErrorSerializer
from apps.core.throttling import ScopedThrottle
from apps.halls.selectors import hall_ids_staffed_by


class _Throttled:
    throttle_classes: Sequence[type[BaseThrottle]] = (ScopedThrottle,)


class RegisterApi(_Throttled, APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_scope = "register"

    @extend_schema(request=serializers.RegisterInputSerializer, responses={201: serializers.UserSerializer})
    def post(self, request: Request) -> Response:
        """Register a new account.

        The account starts inactive and its activation link is emailed (`{FRONTEND_URL}/activate/{uid}/{token}`);
        with activation switched off by configuration it is active at once. The answer shows the email to its owner.
        """
        user = services.user_register(**validated(serializers.RegisterInputSerializer, request.data))
        body = dict(serializers.UserSerializer(user).data)
        body["email"] = user.email  # the person who just registered may see the address they typed
        return Response(body, status=status.HTTP_201_CREATED)


class ActivateApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(request=None, responses={200: DetailSerializer, 400: ErrorSerializer})
    def get(self, request: Request, uid: str, token: str) -> Response:
        """Activate an account from its emailed link.

        The link works once; a used, expired or forged one is ACTIVATION_LINK_INVALID.
        """
        services.user_activate(uid=uid, token=token)
        return Response({"detail": "Your account is active. You can log in now."})


class LoginApi(_Throttled, TokenObtainPairView):
    """Sign in with username and password: an access and a refresh token.

    A wrong password, an unknown username and an account not yet activated are all 401.
    """

    throttle_scope = "login"
    answers_bad_credentials = True  # 401 for a wrong password (documented in the schema)


class RefreshApi(_Throttled, TokenRefreshView):
    """Trade a refresh token for a new access token and a new refresh token.

    Refresh tokens rotate: the one sent is blacklisted and cannot be used again.
    """

    throttle_scope = "login"
    answers_bad_credentials = True


class VerifyApi(TokenVerifyView):
    """Check that a token is valid and unexpired.

    An empty object when it is; 401 when it is not.
    """

    answers_bad_credentials = True


class CurrentUserApi(APIView):
    @extend_schema(responses={200: serializers.CurrentUserSerializer})
    def get(self, request: Request) -> Response:
        """The signed-in account: its player, staff memberships and password state.

        A staff account without a player gets null player fields.
        """
        user = request_user(request)
        player = selectors.player_of(user)
        context = {
            "request": request,
            "player": player,
            "staff_halls": hall_ids_staffed_by(user),
            "online_ids": selectors.players_online_ids([player]),
        }
        return Response(serializers.CurrentUserSerializer(user, context=context).data)


class WsTicketApi(APIView):
    @extend_schema(responses={200: serializers.TicketOutputSerializer})
    def get(self, request: Request) -> Response:
        """A single-use ticket for opening the socket.

        Open `/ws/base/?uuid=<ticket>` within WS_TICKET_TTL_SECONDS (30 s by default); a ticket opens one
        socket only. See docs/socket.md.
        """
        return Response({"uuid": services.ws_ticket_issue(user=request_user(request))})


class GoogleAuthApi(_Throttled, APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_scope = "login"
    answers_bad_credentials = True

    @extend_schema(
        request=serializers.GoogleAuthInputSerializer, responses={200: serializers.GoogleAuthOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        """Sign in, or sign up, with a Google ID token.

        The token is verified against Google's keys and this server's client id. The account with the
        token's email is signed in (and activated); without one, a new account with no password is created.
        """
        data = validated(serializers.GoogleAuthInputSerializer, request.data)
        user = services.user_google_sign_in(id_token=data["id_token"])
        refresh = RefreshToken.for_user(user)
        return Response({"access_token": str(refresh.access_token), "refresh_token": str(refresh)})


class GetCodeApi(_Throttled, APIView):
    """Emails a code. Signed in: to the signed-in account; otherwise to the account of `email`, if any."""

    permission_classes = [AllowAny]
    throttle_scope = "codes"

    @extend_schema(request=serializers.EmailInputSerializer, responses={200: DetailSerializer})
    def post(self, request: Request) -> Response:
        """Email a verification code.

        Always 200, so the answer never tells whether an address is registered. Only the newest code works.
        """
        data = validated(serializers.EmailInputSerializer, request.data)
        if request.user.is_authenticated:
            services.verification_code_send(user=request_user(request))
        else:
            services.verification_code_send(email=data.get("email", ""))
        return Response({"detail": "If an account uses that address, a code is on its way."})


class VerifyCodeForgetApi(_Throttled, APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_scope = "codes"

    @extend_schema(
        request=serializers.VerifyCodeForgetInputSerializer, responses={200: serializers.KeyOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        """Exchange an emailed code for a password key (forgotten password).

        Wrong guesses count; past VERIFICATION_CODE_MAX_ATTEMPTS the code is dead and a new one is needed.
        """
        data = validated(serializers.VerifyCodeForgetInputSerializer, request.data)
        return Response({"key": services.verification_code_verify(code=data["code"], email=data["email"])})


class SetForgetPasswordApi(_Throttled, APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_scope = "codes"

    @extend_schema(request=serializers.SetForgetPasswordInputSerializer, responses={200: DetailSerializer})
    def post(self, request: Request) -> Response:
        """Set a new password with a key (forgotten password).

        The key is single-use and expires after PASSWORD_KEY_TTL_MINUTES.
        """
        data = validated(serializers.SetForgetPasswordInputSerializer, request.data)
        services.password_set_with_key(email=data["email"], key=data["key"], password=data["password"])
        return Response({"detail": "Your password is set."})


class VerifyCodeApi(_Throttled, APIView):
    throttle_scope = "codes"

    @extend_schema(request=serializers.VerifyCodeInputSerializer, responses={200: serializers.KeyOutputSerializer})
    def post(self, request: Request) -> Response:
        """Exchange an emailed code for a password key (signed in).

        The code may come from `get-code-forget`; wrong guesses count as in the forgotten-password flow.
        """
        data = validated(serializers.VerifyCodeInputSerializer, request.data)
        return Response({"key": services.verification_code_verify(code=data["code"], user=request_user(request))})


class SetGooglePasswordApi(_Throttled, APIView):
    throttle_scope = "codes"

    @extend_schema(request=serializers.SetGooglePasswordInputSerializer, responses={200: DetailSerializer})
    def post(self, request: Request) -> Response:
        """Set a password with a key (signed in, e.g. an account made by Google sign-in)."""
        data = validated(serializers.SetGooglePasswordInputSerializer, request.data)
        services.password_set_with_key(user=request_user(request), key=data["key"], password=data["password"])
        return Response({"detail": "Your password is set."})


class SetPasswordApi(APIView):
    @extend_schema(request=serializers.SetPasswordInputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        """Change my password.

        An account without a password (made by Google sign-in) sets its first one with an emailed code.
        """
        services.user_set_password(
            user=request_user(request), **validated(serializers.SetPasswordInputSerializer, request.data)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class SetUsernameApi(APIView):
    @extend_schema(request=serializers.SetUsernameInputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        """Change my username."""
        services.user_set_username(
            user=request_user(request), **validated(serializers.SetUsernameInputSerializer, request.data)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeleteUserApi(APIView):
    @extend_schema(request=serializers.DeleteUserInputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        """Delete my account.

        The player and everything that belongs only to it go too. `password` is needed when the
        account has one.
        """
        data = validated(serializers.DeleteUserInputSerializer, request.data)
        services.user_delete(user=request_user(request), password=data.get("password", ""))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PlayerLocationApi(APIView):
    @extend_schema(request=serializers.LocationInputSerializer, responses={200: serializers.PlayerSerializer})
    def put(self, request: Request) -> Response:
        """Set my location (used for distances in matchmaking)."""
        data = validated(serializers.LocationInputSerializer, request.data)
        player = services.player_set_location(
            player=selectors.player_require(request_user(request)), latitude=data["lat"], longitude=data["lng"]
        )
        context = {"request": request, "online_ids": selectors.players_online_ids([player])}
        return Response(serializers.PlayerSerializer(player, context=context).data)


class PlayerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Players as anybody sees them: an email shows only to its owner.

    list: The players, paged.
    retrieve: One player.
    """

    serializer_class = serializers.PlayerSerializer
    parser_classes = [MultiPartParser, FormParser, BoundedJSONParser]

    def get_queryset(self) -> Any:
        return selectors.player_list()

    def get_object(self) -> Player:
        return selectors.player_get(player_id=self.kwargs["pk"])

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        """Every answer of this view is player shapes: their presence is read once for all of them."""
        shown = args[0] if args else []
        players = list(shown) if isinstance(shown, list | tuple) else [shown]
        kwargs["context"] = {**self.get_serializer_context(), "online_ids": selectors.players_online_ids(players)}
        return self.serializer_class(*args, **kwargs)

    @extend_schema(request=serializers.ProfileImageInputSerializer, responses={200: serializers.PlayerSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        """Upload my profile picture.

        Multipart `profile_image`; the image is checked, cropped square and stored. Only the player's
        own account may change it.
        """
        player = self.get_object()
        if player.user_id != request.user.pk:
            raise NotYourPlayer()
        data = validated(serializers.ProfileImageInputSerializer, request.data)
        player = services.player_set_profile_image(player=player, upload=data["profile_image"])
        return Response(self.get_serializer(player).data)
