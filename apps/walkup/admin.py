"""Hall staff see today's walk-up queue of their halls (state, position, wait, offers) and seat or remove
parties through the queue's services, as the live board and REST do."""

import threading
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from apps.accounts.models import User
from apps.core.exceptions import DomainError
from apps.halls.admin import HallScopedAdmin
from apps.halls.models import PoolHouse
from apps.walkup import selectors, services
from apps.walkup.models import Offer, QueueEntry

# The queue views of one changelist (one estimate per hall, not per row), per thread (Daphne runs views in
# threads).
_views = threading.local()


class OfferInline(admin.TabularInline):
    model = Offer
    fk_name = "entry"
    readonly_fields = ("table", "status", "offered_at", "ready_at", "until", "expires_at", "answered_at")
    fields = readonly_fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["offered_at"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Shown inside an entry's page, which the hall-scoped admin already allows to its hall's staff."""
        return True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class QueueDayFilter(admin.SimpleListFilter):
    """Today's queue unless asked for every day; a hall's day begins at its opening, in its own zone."""

    title = "day"
    parameter_name = "day"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("today", "Today"), ("all", "Every day")]

    def value(self) -> str:
        return super().value() or "today"

    def choices(self, changelist: Any) -> Any:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[QueueEntry]) -> QuerySet[QueueEntry]:
        if self.value() == "all":
            return queryset
        halls = PoolHouse.objects.filter(pk__in=queryset.values("hall_id").distinct())
        return queryset.filter(selectors.queue_of_today(halls=halls, now=timezone.now()))


@admin.register(QueueEntry)
class QueueEntryAdmin(HallScopedAdmin):
    staff_may_add = False
    staff_may_delete = False
    list_display = ["name", "hall", "status", "position", "wait", "offer", "party_size", "table_kind", "joined_at"]
    list_filter = [QueueDayFilter, "status", "hall"]
    list_select_related = ["hall", "player__user"]
    search_fields = ["name", "player__user__username"]
    ordering = ["hall", "joined_at", "id"]
    inlines = [OfferInline]
    readonly_fields = (
        "hall",
        "player",
        "name",
        "party_size",
        "table_kind",
        "minutes",
        "status",
        "joined_at",
        "left_at",
        "created_by",
        "reservation",
        "position",
        "wait",
        "offer",
    )
    fields = readonly_fields
    actions = ["seat_first_free", "remove"]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        _views.by_hall = {}
        return super().changelist_view(request, extra_context)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None) -> Any:
        _views.by_hall = {}
        return super().change_view(request, object_id, form_url, extra_context)

    def _view_of(self, entry: QueueEntry) -> selectors.EntryView | None:
        if entry.status != QueueEntry.Status.WAITING:
            return None
        cache: dict[int, selectors.QueueView] = getattr(_views, "by_hall", None) or {}
        _views.by_hall = cache
        if entry.hall_id not in cache:
            cache[entry.hall_id] = selectors.queue_view(hall=entry.hall, now=timezone.now())
        return cache[entry.hall_id].of(entry.pk)

    @admin.display(description="place")
    def position(self, entry: QueueEntry) -> int | None:
        view = self._view_of(entry)
        return view.position if view is not None else None

    @admin.display(description="wait (minutes)")
    def wait(self, entry: QueueEntry) -> str:
        view = self._view_of(entry)
        if view is None or view.wait is None:
            return "-"
        return f"{view.wait.low}-{view.wait.high} (typically {view.wait.typical})"

    @admin.display(description="offer")
    def offer(self, entry: QueueEntry) -> str:
        view = self._view_of(entry)
        if view is None or view.offer is None:
            return "-"
        zone = timezone.get_current_timezone()
        limit = f", play until {view.offer.until.astimezone(zone):%H:%M}" if view.offer.until else ""
        return f"table {view.offer.table.number}, answer by {view.offer.expires_at.astimezone(zone):%H:%M}{limit}"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields

    def _each(self, request: HttpRequest, queryset: QuerySet[QueueEntry], act: Any, done: str) -> None:
        count = 0
        for entry in queryset.filter(status=QueueEntry.Status.WAITING).order_by("joined_at", "id"):
            try:
                act(entry)
                count += 1
            except DomainError as error:
                self.message_user(request, f"{entry.name}: {error.detail}", messages.WARNING)
        self.message_user(request, f"{done} {count} part{'y' if count == 1 else 'ies'}.", messages.SUCCESS)

    @admin.action(description="Seat on the first free table")
    def seat_first_free(self, request: HttpRequest, queryset: QuerySet[QueueEntry]) -> None:
        user: User = request.user  # type: ignore[assignment]
        self._each(
            request, queryset, lambda e: services.entry_seat(entry_id=e.pk, table_number=None, user=user), "Seated"
        )

    @admin.action(description="Remove from the queue (the party left)")
    def remove(self, request: HttpRequest, queryset: QuerySet[QueueEntry]) -> None:
        user: User = request.user  # type: ignore[assignment]
        self._each(request, queryset, lambda e: services.queue_leave(entry_id=e.pk, user=user), "Removed")
