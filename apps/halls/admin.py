"""Hall staff run their own halls here; superusers see everything.

Scoping is one mixin: every queryset, permission and hall choice is cut to the halls the user staffs,
so staff of hall A never see, open or pick anything of hall B.
"""

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from apps.halls.models import HallPhoto, HallRating, HallStaff, PoolHouse, PoolTable
from apps.halls.selectors import hall_ids_staffed_by
from apps.halls.snapshot import snapshot_invalidate


def _tables_changed(hall_id: int) -> None:
    """After the admin's transaction: the hall's stored table list is stale."""
    transaction.on_commit(lambda: snapshot_invalidate(hall_id))


def staffed_hall_ids(request: HttpRequest) -> list[int]:
    cached = getattr(request, "_staffed_hall_ids", None)
    if cached is None:
        cached = hall_ids_staffed_by(request.user)  # type: ignore[arg-type]
        request._staffed_hall_ids = cached  # type: ignore[attr-defined]
    return cached


class HallScopedAdmin(admin.ModelAdmin):
    hall_field = "hall"  # path from the model to its PoolHouse
    staff_may_add = True
    staff_may_delete = True

    def _hall_id_of(self, obj: Model) -> int | None:
        target: Any = obj
        for part in self.hall_field.split("__"):
            target = getattr(target, part if part != "pk" else "pk")
        return target.pk if isinstance(target, Model) else target

    def _runs(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if request.user.is_superuser:
            return True
        if not request.user.is_active or not request.user.is_staff:
            return False
        halls = staffed_hall_ids(request)
        return bool(halls) and (obj is None or self._hall_id_of(obj) in halls)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.hall_field}__in": staffed_hall_ids(request)})

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        """Forms that act through a service (a walk-in, a settlement) act as the signed-in staff member."""
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request_user = request.user  # type: ignore[attr-defined]
        return form

    def get_list_filter(self, request: HttpRequest) -> Any:
        """A "by hall" (or "by table") filter offers only what the user's own rows point to."""
        return [
            (entry, admin.RelatedOnlyFieldListFilter)
            if isinstance(entry, str) and entry.split("__")[-1] in ("hall", "table")
            else entry
            for entry in super().get_list_filter(request)
        ]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._runs(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._runs(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._runs(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or (self.staff_may_add and self._runs(request))

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_superuser or (self.staff_may_delete and self._runs(request, obj))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not request.user.is_superuser:
            if db_field.related_model is PoolHouse:
                kwargs["queryset"] = PoolHouse.objects.filter(pk__in=staffed_hall_ids(request))
            elif db_field.related_model is PoolTable:
                kwargs["queryset"] = PoolTable.objects.filter(hall__in=staffed_hall_ids(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class HallPhotoInline(admin.TabularInline):
    model = HallPhoto
    extra = 0


class PoolTableInline(admin.TabularInline):
    model = PoolTable
    extra = 0
    fields = ["number", "kind", "top", "left", "hourly_rate", "out_of_service"]


@admin.register(PoolHouse)
class PoolHouseAdmin(HallScopedAdmin):
    hall_field = "pk"
    staff_may_add = False
    staff_may_delete = False
    list_display = ["title", "address", "open_time", "close_time", "time_zone", "currency", "live_board"]
    search_fields = ["title", "address", "slug"]
    list_filter = ["time_zone", "currency"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [PoolTableInline, HallPhotoInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = admin.ModelAdmin.get_queryset(self, request)
        return queryset if request.user.is_superuser else queryset.filter(pk__in=staffed_hall_ids(request))

    def _hall_id_of(self, obj: Model) -> int | None:
        return obj.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The tables are edited inline here too."""
        super().save_related(request, form, formsets, change)
        _tables_changed(form.instance.pk)

    @admin.display(description="live board")
    def live_board(self, hall: PoolHouse) -> str:
        return format_html('<a href="{}">open</a>', reverse("staff-board", kwargs={"hall_id": hall.pk}))


@admin.register(PoolTable)
class PoolTableAdmin(HallScopedAdmin):
    list_display = ["__str__", "hall", "number", "kind", "hourly_rate", "out_of_service"]
    list_filter = ["hall", "kind", "out_of_service"]
    list_editable = ["out_of_service"]
    search_fields = ["hall__title", "number"]
    ordering = ["hall__title", "number"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _tables_changed(obj.hall_id)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        _tables_changed(obj.hall_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        halls = set(queryset.values_list("hall_id", flat=True))
        super().delete_queryset(request, queryset)
        for hall_id in halls:
            _tables_changed(hall_id)


@admin.register(HallPhoto)
class HallPhotoAdmin(HallScopedAdmin):
    list_display = ["__str__", "hall", "uploaded_at"]
    list_filter = ["hall"]


@admin.register(HallRating)
class HallRatingAdmin(HallScopedAdmin):
    """Moderation: staff read and remove reviews of their hall; they cannot write reviews themselves."""

    staff_may_add = False
    list_display = ["hall", "rater", "rate", "timestamp", "short_review"]
    list_filter = ["hall", "rate"]
    search_fields = ["review", "rater__user__username"]
    readonly_fields = ["hall", "rater", "rate", "timestamp"]

    @admin.display(description="review")
    def short_review(self, rating: HallRating) -> str:
        return rating.review[:80]


@admin.register(HallStaff)
class HallStaffAdmin(admin.ModelAdmin):
    list_display = ["user", "hall"]
    list_filter = ["hall"]
    search_fields = ["user__username", "hall__title"]
    autocomplete_fields = ["user"]
