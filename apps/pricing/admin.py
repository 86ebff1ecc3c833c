"""Staff edit their hall's prices and members here; both go through the pricing services.

A published price list version is never edited (sessions that started under it keep its prices): staff
copy it into a new version, change what they want and save, which publishes the new version through the
same service as the REST API, overlap and gap checks included.
"""

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from apps.accounts.models import User
from apps.core.admin import domain_errors_as_form_errors
from apps.halls.admin import HallScopedAdmin
from apps.pricing import services
from apps.pricing.models import WEEKDAY_NAMES, Membership, PriceList, RatePeriod
from apps.pricing.rates import Rate

_DAYS = [(str(index), name) for index, name in enumerate(WEEKDAY_NAMES)]


class RatePeriodForm(forms.ModelForm):
    """The weekdays as seven boxes (stored as one number, a bit a day)."""

    days = forms.TypedMultipleChoiceField(
        choices=_DAYS, coerce=int, widget=forms.CheckboxSelectMultiple, label="weekdays"
    )

    class Meta:
        model = RatePeriod
        fields = ["table_kind", "start_time", "end_time", "hourly_rate", "member_hourly_rate", "label"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bits = self.initial.get("weekdays", self.instance.weekdays if self.instance.pk else None)
        if bits is not None:
            self.initial["days"] = [str(index) for index in range(7) if bits & (1 << index)]

    def rate(self) -> Rate:
        data = self.cleaned_data
        return Rate(
            weekdays=sum(1 << day for day in set(data["days"])),
            start=data["start_time"],
            end=data["end_time"],
            hourly_rate=data["hourly_rate"],
            member_hourly_rate=data.get("member_hourly_rate"),
            kind=data.get("table_kind") or "",
            label=data.get("label") or "",
        )


class PublishingFormSet(BaseInlineFormSet):
    """Once every form is valid, the version and its periods are published through the service; its
    refusals (overlap, gap, a start in the past) show above the periods."""

    request_user: User | None = None

    def clean(self) -> None:
        super().clean()
        version = self.instance
        if any(self.errors) or not getattr(version, "ready_to_publish", False):
            return
        forms_kept = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        rates = [cast(RatePeriodForm, form).rate() for form in forms_kept]
        with domain_errors_as_form_errors():
            published = services.price_list_publish(
                hall=version.hall,
                user=self.request_user,  # type: ignore[arg-type]
                rates=rates,
                rounding_minutes=version.rounding_minutes,
                minimum_charge=version.minimum_charge,
                valid_from=version.valid_from,
            )
        # The admin redirects to the object it saved: make that the published version.
        version.pk, version.valid_from, version.created_by = published.pk, published.valid_from, published.created_by


class RatePeriodInline(admin.TabularInline):
    model = RatePeriod
    form = RatePeriodForm
    formset = PublishingFormSet
    extra = 1

    # The periods are written with a new version only, by whoever may add one; a published version's show.
    def _version_admin(self) -> Any:
        return self.admin_site._registry[PriceList]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(self._version_admin().has_view_permission(request, obj))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and bool(self._version_admin().has_add_permission(request))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_add_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_add_permission(request, obj)

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.request_user = request.user  # type: ignore[attr-defined]
        return formset

    def get_extra(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        source = _copied_version(request)
        return source.periods.count() if source is not None and obj is None else self.extra


def _copied_version(request: HttpRequest) -> PriceList | None:
    """The version named by `?copy_from=` on the add page, if the user may see it."""
    source_id = request.GET.get("copy_from", "")
    if not source_id.isdigit():
        return None
    source = PriceList.objects.filter(pk=int(source_id)).first()
    if source is None or not PriceListAdmin(PriceList, admin.site).has_view_permission(request, source):
        return None
    return source


@admin.register(PriceList)
class PriceListAdmin(HallScopedAdmin):
    staff_may_delete = False
    list_display = ["hall", "valid_from", "rounding_minutes", "minimum_charge", "created_by", "copy"]
    list_filter = ["hall"]
    fields = ["hall", "valid_from", "rounding_minutes", "minimum_charge"]
    inlines = [RatePeriodInline]
    ordering = ["hall__title", "-valid_from"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A published version is read-only; "copy" starts a new one from it.
        return obj is None and super().has_change_permission(request, obj)

    @admin.display(description="new version")
    def copy(self, price_list: PriceList) -> str:
        url = reverse("admin:pricing_pricelist_add")
        return format_html('<a href="{}?copy_from={}">copy into a new version</a>', url, price_list.pk)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial: dict[str, Any] = dict(super().get_changeform_initial_data(request))
        initial.setdefault("valid_from", timezone.now())
        source = _copied_version(request)
        if source is not None:
            initial.update(
                hall=source.hall_id, rounding_minutes=source.rounding_minutes, minimum_charge=source.minimum_charge
            )
        return initial

    def get_formset_kwargs(self, request: HttpRequest, obj: Any, inline: Any, prefix: str) -> dict[str, Any]:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        source = _copied_version(request)
        if source is not None and request.method == "GET":
            kwargs["initial"] = [
                {
                    "table_kind": period.table_kind,
                    "weekdays": period.weekdays,
                    "start_time": period.start_time,
                    "end_time": period.end_time,
                    "hourly_rate": period.hourly_rate,
                    "member_hourly_rate": period.member_hourly_rate,
                    "label": period.label,
                }
                for period in source.periods.order_by("table_kind", "start_time", "id")
            ]
        return kwargs

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        version = super().save_form(request, form, change)
        version.ready_to_publish = True  # type: ignore[attr-defined]  # the periods' formset publishes it
        return version

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Published by the periods' formset through the service; nothing more to save."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The periods were written with the version (the admin's history reads what a formset saved)."""
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class MembershipForm(forms.ModelForm):
    """Adding or changing a membership goes through the service (one per player and hall)."""

    class Meta:
        model = Membership
        fields = ["hall", "player", "valid_until"]

    request_user: User | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        with domain_errors_as_form_errors():
            self.instance = services.membership_set(
                hall=cleaned.get("hall") or self.instance.hall,
                player=cleaned.get("player") or self.instance.player,
                valid_until=cleaned["valid_until"],
                user=self.request_user,  # type: ignore[arg-type]
            )
        return cleaned

    def validate_unique(self) -> None:
        """One per player and hall: the service updates the existing one instead."""


@admin.register(Membership)
class MembershipAdmin(HallScopedAdmin):
    form = MembershipForm
    list_display = ["player", "hall", "valid_until", "created_by"]
    list_filter = ["hall"]
    search_fields = ["player__user__username", "player__user__first_name", "player__user__last_name"]
    raw_id_fields = ["player"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["hall", "player"] if obj else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """The form's clean() already stored it through the service."""
