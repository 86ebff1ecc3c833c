"""Hall staff see their halls' bookings and sessions; walk-ins and early ends go through the services."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.http import HttpRequest

from apps.accounts.models import User
from apps.core.admin import domain_errors_as_form_errors
from apps.core.exceptions import DomainError
from apps.halls.admin import HallScopedAdmin
from apps.reservations import services
from apps.reservations.models import GameSession, Reservation


class WalkInForm(forms.ModelForm):
    """Adding a reservation here is a walk-in (or a booking for players) made through the same service
    as the REST API, so every rule (hours, overlap with buffer, locks) applies; its errors show on the form."""

    class Meta:
        model = Reservation
        fields = ["table", "start_time", "duration", "player_reserving", "other_player"]

    request_user: User | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or self.instance.pk:
            return cleaned
        with domain_errors_as_form_errors():
            self.instance = services.reservation_create(
                table=cleaned["table"],
                start=cleaned["start_time"],
                minutes=cleaned["duration"],
                player=cleaned.get("player_reserving"),
                other_player=cleaned.get("other_player"),
                created_by=self.request_user,
            )
        return cleaned


@admin.register(Reservation)
class ReservationAdmin(HallScopedAdmin):
    hall_field = "table__hall"
    staff_may_delete = False
    form = WalkInForm
    list_display = ["id", "table", "start_time", "duration", "status", "player_reserving", "other_player"]
    list_filter = ["status", "table__hall", ("start_time", admin.DateFieldListFilter)]
    search_fields = ["player_reserving__user__username", "other_player__user__username"]
    date_hierarchy = "start_time"
    list_select_related = ["table__hall", "player_reserving__user", "other_player__user"]
    raw_id_fields = ["player_reserving", "other_player"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Existing bookings change only through the services (cancel from the API, end from sessions).
        return ["table", "start_time", "duration", "player_reserving", "other_player", "status"] if obj else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """The form's clean() already booked it through the service; nothing more to save."""


@admin.register(GameSession)
class GameSessionAdmin(HallScopedAdmin):
    hall_field = "table__hall"
    staff_may_add = False
    staff_may_delete = False
    change_list_template = "admin/reservations/gamesession/change_list.html"
    list_display = ["id", "table", "started_at", "ended_at", "minutes_played", "cost", "ended_early"]
    list_filter = ["table__hall", "ended_early", ("started_at", admin.DateFieldListFilter)]
    date_hierarchy = "started_at"
    list_select_related = ["table__hall"]
    readonly_fields = [
        "reservation",
        "table",
        "started_at",
        "ended_at",
        "start_processed_at",
        "end_processed_at",
        "ended_early",
        "minutes_played",
        "cost",
    ]
    actions = ["end_now"]

    @admin.action(description="End the selected sessions now (frees the tables)")
    def end_now(self, request: HttpRequest, queryset: QuerySet[GameSession]) -> None:
        ended = 0
        for session in queryset.filter(ended_at__isnull=True):
            try:
                services.session_end_by_staff(session_id=session.pk, staff_user=request.user)  # type: ignore[arg-type]
                ended += 1
            except DomainError as error:
                self.message_user(request, f"Session {session.pk}: {error.detail}", messages.WARNING)
        self.message_user(request, f"Ended {ended} session(s).", messages.SUCCESS)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        response: Any = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            finished = changelist.queryset.filter(ended_at__isnull=False)
            response.context_data["revenue_by_table"] = (
                finished.values("table__hall__title", "table__number", "table__hall__currency")
                .annotate(games=Count("id"), minutes=Sum("minutes_played"), revenue=Sum("cost"))
                .order_by("table__hall__title", "table__number")
            )
            response.context_data["revenue_by_day"] = (
                finished.annotate(day=TruncDate("started_at"))
                .values("day", "table__hall__currency")
                .annotate(games=Count("id"), revenue=Sum("cost"))
                .order_by("-day")[:31]
            )
        return response
