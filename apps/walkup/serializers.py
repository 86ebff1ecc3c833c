"""The queue's shapes. The plain functions build them (REST answers and socket frames alike, one shape each);
the serializer classes describe them for the schema and validate input."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from rest_framework import serializers

from apps.halls.models import TableKind
from apps.pricing.serializers import QuoteSerializer, quote_data
from apps.walkup.estimate import Wait
from apps.walkup.models import Offer, QueueEntry
from apps.walkup.selectors import EntryView, QueueView

if TYPE_CHECKING:  # the service's result; serializers import no service
    from apps.walkup.services import Extension

_DATETIME = serializers.DateTimeField()
_KINDS = [("", "any"), *TableKind.choices]


def _time(value: datetime | None) -> str | None:
    return str(_DATETIME.to_representation(value)) if value is not None else None


def _minutes_until(moment: datetime, now: datetime) -> int:
    return max(0, round((moment - now).total_seconds() / 60))


def wait_data(wait: Wait | None, *, past_closing: bool = False) -> dict[str, Any] | None:
    if wait is None:
        return None
    return {"low": wait.low, "typical": wait.typical, "high": wait.high, "past_closing": past_closing}


def offer_data(offer: Offer | None) -> dict[str, Any] | None:
    if offer is None:
        return None
    return {
        "id": offer.pk,
        "table": offer.table_id,
        "table_number": offer.table.number,
        "kind": offer.table.kind,
        "status": offer.status,
        "offered_at": _time(offer.offered_at),
        "ready_at": _time(offer.ready_at),
        "expires_at": _time(offer.expires_at),
        "until": _time(offer.until),
    }


def entry_data(entry: QueueEntry, view: EntryView | None) -> dict[str, Any]:
    """The QueueEntry shape: `view` carries the place, wait and offer of a waiting party (None otherwise)."""
    return {
        "id": entry.pk,
        "hall": entry.hall_id,
        "name": entry.name,
        "username": entry.player.user.username if entry.player is not None else None,
        "party_size": entry.party_size,
        "table_kind": entry.table_kind,
        "minutes": entry.minutes,
        "status": entry.status,
        "joined_at": _time(entry.joined_at),
        "position": view.position if view is not None else None,
        "wait": wait_data(view.wait, past_closing=view.past_closing) if view is not None else None,
        "offer": offer_data(view.offer) if view is not None else None,
        "reservation": entry.reservation_id,
    }


def extension_data(extension: "Extension") -> dict[str, Any]:
    """The Extension shape: the seated party, its booking's new end and what the game now costs."""
    return {
        "entry": entry_data(extension.entry, None),
        "reservation": extension.reservation.pk,
        "end_time": _time(extension.reservation.end_time),
        "added_minutes": extension.added_minutes,
        "quote": quote_data(extension.quote),
        "added_cost": f"{extension.added_cost:.2f}",
    }


def tables_freeing_data(view: QueueView) -> list[dict[str, Any]]:
    return [
        {
            "table_number": item.table.number,
            "kind": item.table.kind,
            "ready_at": _time(item.ready_at),
            "free_in": _minutes_until(item.ready_at, view.now),
        }
        for item in view.tables_freeing
    ]


def waitlist_data(view: QueueView) -> dict[str, Any]:
    """The public WaitList: names as the parties chose them, no ids, no accounts."""
    return {
        "hall": view.hall.pk,
        "computed_at": _time(view.now),
        "parties": [
            {
                "position": item.position,
                "name": item.entry.name,
                "party_size": item.entry.party_size,
                "table_kind": item.entry.table_kind,
                "wait": wait_data(item.wait, past_closing=item.past_closing),
                "offered": item.offer is not None,
            }
            for item in view.entries
        ],
        "tables_freeing": tables_freeing_data(view),
    }


# --- Schema and input -----------------------------------------------------------------------------


class WaitSerializer(serializers.Serializer):
    low = serializers.IntegerField(help_text="Minutes: the wait is at least this 19 times in 20.")
    typical = serializers.IntegerField(help_text="Minutes: the typical (median) wait.")
    high = serializers.IntegerField(help_text="Minutes: the worst case; longer only 1 time in 20.")
    past_closing = serializers.BooleanField(
        help_text="The hall closes before the worst case (less the shortest game): the party may not get a table "
        "before closing, when the queue is cleared."
    )


class OfferSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The offer's id.")
    table = serializers.IntegerField(help_text="The table's id.")
    table_number = serializers.IntegerField(help_text="Number of the table inside the hall.")
    kind = serializers.ChoiceField(choices=TableKind.choices, help_text="What is played on the table.")
    status = serializers.ChoiceField(choices=Offer.Status.choices, help_text="pending until answered or lapsed.")
    offered_at = serializers.DateTimeField(help_text="When the table was offered.")
    ready_at = serializers.DateTimeField(help_text="When the table is tidied and play can start.")
    expires_at = serializers.DateTimeField(help_text="Unconfirmed by then, it passes to the next party.")
    until = serializers.DateTimeField(
        allow_null=True, help_text="Play must end by then, for a booking that follows; null: no such limit."
    )


class QueueEntrySerializer(serializers.Serializer):
    """The QueueEntry shape (built by `entry_data`)."""

    id = serializers.IntegerField(help_text="The queue entry's id.")
    hall = serializers.IntegerField(help_text="The hall's id.")
    name = serializers.CharField(help_text="What the public wait page shows for the party.")
    username = serializers.CharField(allow_null=True, help_text="The player who joined; null for a desk party.")
    party_size = serializers.IntegerField(help_text="People in the party.")
    table_kind = serializers.ChoiceField(choices=_KINDS, help_text='The kind of table wanted; "": any.')
    minutes = serializers.IntegerField(allow_null=True, help_text="How long the party wants to play; null: default.")
    status = serializers.ChoiceField(choices=QueueEntry.Status.choices, help_text="waiting until seated or gone.")
    joined_at = serializers.DateTimeField(help_text="When the party joined: the queue's order.")
    position = serializers.IntegerField(allow_null=True, help_text="1 = next; null once no longer waiting.")
    wait = WaitSerializer(allow_null=True, help_text="Estimated wait in minutes; null when not waiting.")
    offer = OfferSerializer(allow_null=True, help_text="The table offered now, if any.")
    reservation = serializers.IntegerField(allow_null=True, help_text="Once seated: the walk-in booking's id.")


class WaitListPartySerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="1 = next.")
    name = serializers.CharField(help_text="As the party chose to be shown: a first name or an initial.")
    party_size = serializers.IntegerField(help_text="People in the party.")
    table_kind = serializers.ChoiceField(choices=_KINDS, help_text='The kind of table wanted; "": any.')
    wait = WaitSerializer(allow_null=True, help_text="Estimated wait in minutes.")
    offered = serializers.BooleanField(help_text="A table is offered to the party right now.")


class TableFreeingSerializer(serializers.Serializer):
    table_number = serializers.IntegerField(help_text="Number of the table inside the hall.")
    kind = serializers.ChoiceField(choices=TableKind.choices, help_text="What is played on the table.")
    ready_at = serializers.DateTimeField(help_text="When it is typically free and tidied.")
    free_in = serializers.IntegerField(help_text="Minutes from `computed_at` to `ready_at`.")


class WaitListSerializer(serializers.Serializer):
    """The WaitList shape (built by `waitlist_data`)."""

    hall = serializers.IntegerField(help_text="The hall's id.")
    computed_at = serializers.DateTimeField(help_text="When the estimates were made.")
    parties = WaitListPartySerializer(many=True, help_text="The waiting parties in queue order.")
    tables_freeing = TableFreeingSerializer(many=True, help_text="Busy tables typically free within the hour.")


class JoinInputSerializer(serializers.Serializer):
    party_size = serializers.IntegerField(min_value=1, max_value=20, help_text="People in the party.")
    table_kind = serializers.ChoiceField(
        choices=_KINDS, required=False, allow_blank=True, default="", help_text='The kind of table wanted; "": any.'
    )
    minutes = serializers.IntegerField(
        min_value=1,
        max_value=24 * 60,
        required=False,
        allow_null=True,
        default=None,
        help_text="How long the party wants to play (kept within the hall's shortest and longest game); default 60.",
    )
    name = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text="What the public wait page shows (a first name, a nickname); default: an initial.",
    )


class DeskPartyInputSerializer(JoinInputSerializer):
    name = serializers.CharField(max_length=20, help_text="What the public wait page shows, e.g. a first name.")

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("Give a name to call the party by.")
        return value.strip()


class SeatInputSerializer(serializers.Serializer):
    table_id = serializers.IntegerField(
        min_value=1,
        max_value=32767,
        required=False,
        allow_null=True,
        default=None,
        help_text="Number of the table inside the hall; absent or null: the first free table that fits the party.",
    )


class ExtendInputSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(
        min_value=1, max_value=24 * 60, help_text="Minutes to add, in the hall's booking steps (15 by default)."
    )


class ExtensionSerializer(serializers.Serializer):
    """The Extension shape (built by `extension_data`)."""

    entry = QueueEntrySerializer(help_text="The seated party.")
    reservation = serializers.IntegerField(help_text="The walk-in booking's id.")
    end_time = serializers.DateTimeField(help_text="When the game now ends.")
    added_minutes = serializers.IntegerField(help_text="The minutes just added.")
    quote = QuoteSerializer(help_text="The whole game's price at its new length, as it will be charged if played out.")
    added_cost = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="What the added time adds to the game's price."
    )
