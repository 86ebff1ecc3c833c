"""Hall staff create and run their tournaments from the admin, through the same services as REST: creating
holds the tables, actions start, undo and check in; the bracket page is linked from each row."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from apps.accounts.models import User
from apps.core.admin import domain_errors_as_form_errors
from apps.core.exceptions import DomainError
from apps.halls.admin import HallScopedAdmin
from apps.halls.models import PoolTable
from apps.tournaments import services
from apps.tournaments.models import Entry, Match, Tournament

_RULES = [
    "hall",
    "name",
    "format",
    "game",
    "seeding",
    "race_to",
    "final_race_to",
    "handicap",
    "player_cap",
    "groups",
    "swiss_rounds",
    "entry_fee",
    "payout_split",
    "registration_opens_at",
    "registration_closes_at",
    "check_in_opens_at",
    "check_in_closes_at",
    "starts_at",
    "ends_at",
]


class TournamentForm(forms.ModelForm):
    """Adding a tournament here creates it through the service: its tables are held by the booking
    service's rules, and a refusal (a table already booked, hours, windows) shows on the form."""

    use_tables = forms.ModelMultipleChoiceField(
        queryset=PoolTable.objects.select_related("hall"), label="Tables", help_text="The tables it is played on."
    )

    class Meta:
        model = Tournament
        fields = _RULES

    request_user: User | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or self.instance.pk:
            return cleaned
        assert self.request_user is not None
        rules = {name: cleaned[name] for name in _RULES if name in cleaned and name != "hall"}
        with domain_errors_as_form_errors():
            self.instance = services.tournament_create(
                hall=cleaned["hall"],
                staff_user=self.request_user,
                table_ids=[table.pk for table in cleaned["use_tables"]],
                **rules,
            )
        return cleaned


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ["player", "status", "manual_seed", "seed", "checked_in_at"]
    readonly_fields = ["player", "status", "seed", "checked_in_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Tournament)
class TournamentAdmin(HallScopedAdmin):
    form = TournamentForm
    staff_may_delete = False
    list_display = ["name", "hall", "format", "state", "starts_at", "bracket"]
    list_filter = ["state", "format", "hall"]
    list_select_related = ["hall"]
    inlines = [EntryInline]
    actions = ["start", "undo_last_result", "check_in_everyone_registered"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Once created, a tournament changes through its services (start, undo, check-in), not by editing.
        return [*_RULES, "state", "champion", "started_at", "finished_at"] if obj else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return [*_RULES, "use_tables"]
        return [*_RULES, "state", "champion", "started_at", "finished_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """A new tournament was created by the form's clean(); an existing one only saves its entries'
        hand seeds (the inline)."""

    @admin.display(description="Bracket page")
    def bracket(self, tournament: Tournament) -> str:
        url = reverse("tournament-bracket", kwargs={"tournament_id": tournament.pk})
        return format_html('<a href="{}" target="_blank">open</a>', url)

    def _each(self, request: HttpRequest, queryset: QuerySet[Tournament], act: Any, done: str) -> None:
        for tournament in queryset:
            try:
                act(tournament)
            except DomainError as error:
                self.message_user(request, f"{tournament.name}: {error.detail} ({error.code})", messages.ERROR)
            else:
                self.message_user(request, f"{tournament.name}: {done}")

    @admin.action(description="Start: drop the players not checked in, draw, call the first matches")
    def start(self, request: HttpRequest, queryset: QuerySet[Tournament]) -> None:
        user: User = request.user  # type: ignore[assignment]
        self._each(
            request, queryset, lambda t: services.tournament_start(tournament_id=t.pk, staff_user=user), "started."
        )

    @admin.action(description="Undo the last result")
    def undo_last_result(self, request: HttpRequest, queryset: QuerySet[Tournament]) -> None:
        user: User = request.user  # type: ignore[assignment]
        self._each(
            request, queryset, lambda t: services.tournament_undo(tournament_id=t.pk, staff_user=user), "undone."
        )

    @admin.action(description="Check in every registered player (at the desk)")
    def check_in_everyone_registered(self, request: HttpRequest, queryset: QuerySet[Tournament]) -> None:
        user: User = request.user  # type: ignore[assignment]

        def check_in(tournament: Tournament) -> None:
            for entry in tournament.entries.filter(status=Entry.Status.REGISTERED, checked_in_at__isnull=True):
                services.tournament_check_in(tournament_id=tournament.pk, player_id=entry.player_id, user=user)

        self._each(request, queryset, check_in, "checked in.")


@admin.register(Match)
class MatchAdmin(HallScopedAdmin):
    hall_field = "tournament__hall"
    staff_may_add = False
    staff_may_delete = False
    list_display = ["key", "tournament", "state", "player_a", "player_b", "score_a", "score_b", "table"]
    list_filter = ["state", "tournament"]
    list_select_related = ["tournament", "player_a__player__user", "player_b__player__user", "table"]
    actions = ["forfeit_player_a", "forfeit_player_b"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [field.name for field in Match._meta.fields]

    def _forfeit(self, request: HttpRequest, queryset: QuerySet[Match], side: str) -> None:
        user: User = request.user  # type: ignore[assignment]
        for match in queryset:
            entry = match.player_a if side == "a" else match.player_b
            try:
                if entry is None:
                    raise DomainError("That side of the match has no player yet.", code="MATCH_NOT_PLAYABLE")
                services.match_forfeit(
                    tournament_id=match.tournament_id, match_id=match.pk, staff_user=user, player_id=entry.player_id
                )
            except DomainError as error:
                self.message_user(request, f"{match.key}: {error.detail} ({error.code})", messages.ERROR)
            else:
                self.message_user(request, f"{match.key}: forfeited.")

    @admin.action(description="Forfeit: player A did not show up")
    def forfeit_player_a(self, request: HttpRequest, queryset: QuerySet[Match]) -> None:
        self._forfeit(request, queryset, "a")

    @admin.action(description="Forfeit: player B did not show up")
    def forfeit_player_b(self, request: HttpRequest, queryset: QuerySet[Match]) -> None:
        self._forfeit(request, queryset, "b")
