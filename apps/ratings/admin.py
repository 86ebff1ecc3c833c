"""Staff settle disputed results of their halls here; saving a decision makes it final through the service."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime

from apps.core.admin import domain_errors_as_form_errors
from apps.halls.admin import HallScopedAdmin
from apps.ratings import services
from apps.ratings.models import GameResult, ResultReport
from apps.ratings.selectors import claim_sentence


class ResultReportInline(admin.TabularInline):
    model = ResultReport
    extra = 0
    can_delete = False
    fields = ["reporter", "winner", "tie", "result_winner", "result_loser", "disputes", "created_at"]
    readonly_fields = ["reporter", "winner", "tie", "result_winner", "result_loser", "disputes", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SettleForm(forms.ModelForm):
    """The staff's decision. For a disputed result nothing is pre-filled: both players' claims stand side
    by side above the form (and in the reports below), and staff choose."""

    class Meta:
        model = GameResult
        fields = ["winner", "tie", "result_winner", "result_loser"]

    request_user: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.status == GameResult.Status.DISPUTED:
            self.initial.update(winner=None, tie=False, result_winner=None, result_loser=None)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        winner = cleaned.get("winner")
        with domain_errors_as_form_errors():
            self.instance = services.result_settle(
                session_id=self.instance.session_id,
                staff_user=self.request_user,
                winner_id=None if cleaned.get("tie") else (winner.pk if winner else None),
                result_winner=cleaned.get("result_winner") or 0,
                result_loser=cleaned.get("result_loser") or 0,
            )
        return cleaned


@admin.register(GameResult)
class GameResultAdmin(HallScopedAdmin):
    hall_field = "session__table__hall"
    staff_may_add = False
    staff_may_delete = False
    form = SettleForm
    inlines = [ResultReportInline]
    raw_id_fields = ["winner"]
    readonly_fields = ["claims"]
    fields = ["claims", "winner", "tie", "result_winner", "result_loser"]
    list_display = [
        "id",
        "session",
        "status",
        "winner",
        "loser",
        "tie",
        "result_winner",
        "result_loser",
        "becomes_final",
    ]
    list_filter = ["status", "session__table__hall"]
    list_select_related = ["session__table__hall", "winner__user", "loser__user"]

    @admin.display(description="becomes final")
    def becomes_final(self, result: GameResult) -> str:
        """A disputed result never finalises by itself: it waits for the staff."""
        if result.status == GameResult.Status.DISPUTED:
            return "waits for the staff"
        if result.status == GameResult.Status.FINAL:
            return "final"
        return f"by itself at {localtime(result.final_after):%Y-%m-%d %H:%M}, unless disputed"

    @admin.display(description="the players' claims")
    def claims(self, result: GameResult) -> str:
        lines = [claim_sentence(report) for report in result.reports.select_related("reporter__user", "winner__user")]
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines)) if lines else "no report yet"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status == GameResult.Status.FINAL:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """The form's clean() settled it through the service."""
