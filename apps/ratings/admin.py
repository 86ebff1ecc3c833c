"""Staff settle disputed results of their halls here; saving a decision makes it final through the service."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from apps.core.admin import domain_errors_as_form_errors
from apps.halls.admin import HallScopedAdmin
from apps.ratings import services
from apps.ratings.models import GameResult, ResultReport


class ResultReportInline(admin.TabularInline):
    model = ResultReport
    extra = 0
    can_delete = False
    fields = ["reporter", "winner", "tie", "result_winner", "result_loser", "disputes", "created_at"]
    readonly_fields = ["reporter", "winner", "tie", "result_winner", "result_loser", "disputes", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SettleForm(forms.ModelForm):
    class Meta:
        model = GameResult
        fields = ["winner", "tie", "result_winner", "result_loser"]

    request_user: Any = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        winner = cleaned.get("winner")
        with domain_errors_as_form_errors():
            self.instance = services.result_settle(
                result_id=self.instance.pk,
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
    list_display = ["id", "session", "status", "winner", "loser", "tie", "result_winner", "result_loser", "final_after"]
    list_filter = ["status", "session__table__hall"]
    list_select_related = ["session__table__hall", "winner__user", "loser__user"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status == GameResult.Status.FINAL:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """The form's clean() settled it through the service."""
