"""Thin REST interfaces for halls, tables, reviews and photos."""

from typing import Any

from django.http import HttpResponse, HttpResponseNotModified
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.selectors import player_require
from apps.accounts.serializers import viewer_id
from apps.core.apis import request_user, validated
from apps.core.auth import RememberedTokenAuthentication
from apps.core.parsing import BoundedJSONParser
from apps.halls import selectors, serializers, services, snapshot


class PoolHouseListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: serializers.PoolHouseSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """Every hall, by title."""
        halls = selectors.hall_list()
        return Response(serializers.PoolHouseSerializer(halls, many=True, context={"request": request}).data)


class PoolHouseDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: serializers.PoolHouseSerializer})
    def get(self, request: Request, hall_id: str) -> Response:
        """One hall."""
        hall = selectors.hall_get(hall_id=hall_id)
        return Response(serializers.PoolHouseSerializer(hall, context={"request": request}).data)


class PoolHouseNearApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[serializers.HallsNearInputSerializer],
        responses={200: serializers.PoolHouseNearSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        """Halls near a point, nearest first.

        Halls within `radius` km (default 5) of `lat`/`lng`, each with its `distance` in metres.
        """
        query = validated(serializers.HallsNearInputSerializer, request.query_params)
        halls = selectors.hall_list_near(latitude=query["lat"], longitude=query["lng"], radius_km=query.get("radius"))
        return Response(serializers.PoolHouseNearSerializer(halls, many=True, context={"request": request}).data)


class HallTablesApi(APIView):
    permission_classes = [AllowAny]
    # The token is read without a database lookup of its user: the list only needs to know who asks
    # (so a player sees their own email in a booking), and it is the hot path of the hall page.
    authentication_classes = [RememberedTokenAuthentication]

    @extend_schema(
        responses={
            200: serializers.TableSerializer(many=True),
            304: OpenApiResponse(description="Not modified: the If-None-Match ETag is still current."),
        }
    )
    def get(self, request: Request, hall_id: str) -> HttpResponse:
        """The hall's tables and their state now.

        Each table is free, busy (with the running booking) or out of service. The token is optional; with
        one, the caller sees their own email in a booking. The answer carries an ETag: asked again with
        If-None-Match, it is a 304 until a table changes.
        """

        def build() -> list[dict[str, Any]]:
            rows = serializers.tables_data(
                selectors.hall_table_rows(hall_id=int(hall_id)), hall_id=int(hall_id), request=request
            )
            if not rows:
                selectors.hall_get_plain(hall_id=hall_id)  # 404 for a hall that does not exist
            return rows

        found = snapshot.tables_snapshot(
            hall_id=int(hall_id), origin=request.build_absolute_uri("/"), viewer_id=viewer_id(request), build=build
        )
        response: HttpResponse
        if found.etag is not None and request.headers.get("If-None-Match") == found.etag:
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(found.body, content_type="application/json")
        if found.etag is not None:
            response["ETag"] = found.etag
        response["Cache-Control"] = "no-cache"
        return response


class HallRatingsApi(generics.GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = serializers.HallRatingSerializer

    def get_queryset(self) -> Any:
        return selectors.hall_ratings(hall=selectors.hall_get(hall_id=self.kwargs["hall_id"]))

    @extend_schema(responses=serializers.HallRatingSerializer(many=True))
    def get(self, request: Request, hall_id: str) -> Response:
        """The hall's reviews, newest first, paged."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=serializers.HallRatingInputSerializer, responses={201: serializers.HallRatingSerializer})
    def post(self, request: Request, hall_id: str) -> Response:
        """Review the hall with 1 to 5 stars.

        One review per player and hall: a second one replaces the first.
        """
        hall = selectors.hall_get(hall_id=hall_id)
        data = validated(serializers.HallRatingInputSerializer, request.data)
        rating = services.hall_rating_submit(
            hall=hall, player=player_require(request_user(request)), rate=data["rate"], review=data["review"]
        )
        return Response(self.get_serializer(rating).data, status=status.HTTP_201_CREATED)


class HallFilterRatingsApi(generics.GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = serializers.HallRatingSerializer

    @extend_schema(
        parameters=[OpenApiParameter("filter", int, description="Stars, 1 to 5.", required=True)],
        responses=serializers.HallRatingSerializer(many=True),
    )
    def get(self, request: Request, hall_id: str) -> Response:
        """The hall's reviews with the given number of stars, paged."""
        stars = validated(serializers.RatingFilterInputSerializer, request.query_params)["filter"]
        ratings = selectors.hall_ratings(hall=selectors.hall_get(hall_id=hall_id), stars=stars)
        page = self.paginate_queryset(ratings)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class HallImagesApi(APIView):
    """Anyone reads a hall's photos; only its staff add or remove them."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [MultiPartParser, FormParser, BoundedJSONParser]

    @extend_schema(responses={200: serializers.HallPhotoSerializer(many=True)})
    def get(self, request: Request, hall_id: str) -> Response:
        """The hall's photos."""
        photos = selectors.hall_photos(hall=selectors.hall_get(hall_id=hall_id))
        return Response(serializers.HallPhotoSerializer(photos, many=True, context={"request": request}).data)

    @extend_schema(request=serializers.HallPhotoInputSerializer, responses={201: serializers.HallPhotoSerializer})
    def post(self, request: Request, hall_id: str) -> Response:
        """Add a photo to the hall (its staff only).

        Multipart `image`; it is checked and re-encoded before it is stored.
        """
        hall = selectors.hall_get(hall_id=hall_id)
        services.hall_staff_require(user=request_user(request), hall=hall)
        upload = validated(serializers.HallPhotoInputSerializer, request.data)["image"]
        photo = services.hall_photo_add(hall=hall, user=request_user(request), upload=upload)
        return Response(
            serializers.HallPhotoSerializer(photo, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        parameters=[serializers.HallPhotoDeleteInputSerializer],
        request=serializers.HallPhotoDeleteInputSerializer,
        responses={204: None},
        description="The web client names the photo in the body (`{id}`) or the query (`?id=`).",
    )
    def delete(self, request: Request, hall_id: str) -> Response:
        """Remove a photo of the hall (its staff only)."""
        source = request.data if request.data else request.query_params
        photo_id = validated(serializers.HallPhotoDeleteInputSerializer, source)["id"]
        return _photo_delete(request, hall_id, photo_id)


class HallImageApi(APIView):
    @extend_schema(operation_id="api_poolhouses_image_destroy", responses={204: None})
    def delete(self, request: Request, hall_id: str, photo_id: str) -> Response:
        """Remove a photo of the hall by its id (its staff only)."""
        return _photo_delete(request, hall_id, int(photo_id))


def _photo_delete(request: Request, hall_id: str, photo_id: int) -> Response:
    hall = selectors.hall_get(hall_id=hall_id)
    services.hall_staff_require(user=request_user(request), hall=hall)
    services.hall_photo_delete(hall=hall, user=request_user(request), photo_id=photo_id)
    return Response(status=status.HTTP_204_NO_CONTENT)
