"""Thin REST interfaces of the walk-up queue."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.selectors import player_require
from apps.core.apis import request_user, validated
from apps.halls.selectors import hall_get_plain
from apps.halls.services import hall_staff_require
from apps.walkup import selectors, serializers, services
from apps.walkup.models import QueueEntry


def _entry_body(entry: QueueEntry) -> dict:
    """The QueueEntry shape as the queue stands now (its place and wait while it waits)."""
    view = None
    if entry.status == QueueEntry.Status.WAITING:
        view = selectors.queue_view(hall=entry.hall, now=timezone.now()).of(entry.pk)
    return serializers.entry_data(entry, view)


class HallQueueApi(APIView):
    """The hall's wait list (anybody); a player's party joins it."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses={200: serializers.WaitListSerializer})
    def get(self, request: Request, hall_id: str) -> Response:
        """The hall's wait list: parties, their estimated waits, tables about to free.

        What the public wait page shows: each party as it chose to be called, its place and its estimated
        wait as a range in minutes, and the busy tables typically free within the hour. No accounts, no ids.
        """
        hall = hall_get_plain(hall_id=hall_id)
        return Response(serializers.waitlist_data(selectors.queue_view(hall=hall, now=timezone.now())))

    @extend_schema(request=serializers.JoinInputSerializer, responses={201: serializers.QueueEntrySerializer})
    def post(self, request: Request, hall_id: str) -> Response:
        """Join the hall's queue for a table (my party).

        Refused while the hall is closed, for a kind of table it does not have, and while I already wait
        somewhere. When a table fits, it is offered: a `table_offered` frame and a `TRD` notification.
        """
        hall = hall_get_plain(hall_id=hall_id)
        data = validated(serializers.JoinInputSerializer, request.data)
        entry = services.queue_join(
            hall=hall,
            player=player_require(request_user(request)),
            party_size=data["party_size"],
            table_kind=data["table_kind"],
            minutes=data["minutes"],
            name=data["name"],
        )
        return Response(_entry_body(entry), status=status.HTTP_201_CREATED)


class HallQueueStaffApi(APIView):
    @extend_schema(responses={200: serializers.QueueEntrySerializer(many=True)})
    def get(self, request: Request, hall_id: str) -> Response:
        """The hall's waiting parties with their offers (hall staff)."""
        hall = hall_get_plain(hall_id=hall_id)
        hall_staff_require(user=request_user(request), hall=hall)
        view = selectors.queue_view(hall=hall, now=timezone.now())
        return Response([serializers.entry_data(item.entry, item) for item in view.entries])

    @extend_schema(request=serializers.DeskPartyInputSerializer, responses={201: serializers.QueueEntrySerializer})
    def post(self, request: Request, hall_id: str) -> Response:
        """Add a party standing at the desk to the queue (hall staff).

        The party has no account: staff answer its offers (confirm or decline) or seat it by hand.
        """
        hall = hall_get_plain(hall_id=hall_id)
        data = validated(serializers.DeskPartyInputSerializer, request.data)
        entry = services.queue_add_at_desk(
            hall=hall,
            user=request_user(request),
            name=data["name"],
            party_size=data["party_size"],
            table_kind=data["table_kind"],
            minutes=data["minutes"],
        )
        return Response(_entry_body(entry), status=status.HTTP_201_CREATED)


class QueueEntryApi(APIView):
    @extend_schema(responses={200: serializers.QueueEntrySerializer})
    def get(self, request: Request, entry_id: str) -> Response:
        """A party in the queue: its place, estimated wait and offer.

        Seen by the party's player and the hall's staff; to anybody else it does not exist.
        """
        return Response(_entry_body(selectors.queue_entry_get(entry_id=entry_id, user=request_user(request))))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, entry_id: str) -> Response:
        """Leave the queue (its player), or remove the party (the hall's staff).

        A table offered to the party passes to the next party.
        """
        services.queue_leave(entry_id=int(entry_id), user=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class QueueEntrySeatApi(APIView):
    @extend_schema(request=serializers.SeatInputSerializer, responses={200: serializers.QueueEntrySerializer})
    def post(self, request: Request, entry_id: str) -> Response:
        """Seat a waiting party by hand on a table (hall staff).

        A walk-in through the same rules as any booking, from when the table is tidied; the party's own
        offer of another table and another party's offer of this table are withdrawn (that party keeps its
        place).
        """
        data = validated(serializers.SeatInputSerializer, request.data)
        entry = services.entry_seat(entry_id=int(entry_id), table_number=data["table_id"], user=request_user(request))
        return Response(_entry_body(entry))


class OfferConfirmApi(APIView):
    @extend_schema(request=None, responses={200: serializers.QueueEntrySerializer})
    def post(self, request: Request, offer_id: str) -> Response:
        """Take the offered table (the party's player, or the hall's staff for the party).

        A walk-in starts on it from when it is tidied, for the party's time or what is left before the next
        booking. After `expires_at` it is `OFFER_EXPIRED`.
        """
        entry = services.offer_confirm(offer_id=int(offer_id), user=request_user(request))
        return Response(_entry_body(entry))


class OfferDeclineApi(APIView):
    @extend_schema(request=None, responses={200: serializers.QueueEntrySerializer})
    def post(self, request: Request, offer_id: str) -> Response:
        """Turn the offered table down (the party's player, or the hall's staff).

        The table passes to the next party. Declining a table limited by a booking ahead keeps the party's
        place; declining a whole table leaves the queue.
        """
        entry = services.offer_decline(offer_id=int(offer_id), user=request_user(request))
        return Response(_entry_body(entry))


class QueueEntryExtendApi(APIView):
    @extend_schema(request=serializers.ExtendInputSerializer, responses={200: serializers.ExtensionSerializer})
    def post(self, request: Request, entry_id: str) -> Response:
        """More time for a party seated from the queue (its player, or the hall's staff).

        Granted through the booking service up to the table's next booking (less the hall's tidy-up time)
        and closing time, in the hall's steps; priced by the hall's price list like any booking.
        """
        data = validated(serializers.ExtendInputSerializer, request.data)
        extension = services.entry_extend(entry_id=int(entry_id), minutes=data["minutes"], user=request_user(request))
        return Response(serializers.extension_data(extension))
