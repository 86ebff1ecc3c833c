from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.http import HttpRequest

from apps.accounts.exceptions import EmailTaken
from apps.accounts.models import Player, User
from apps.accounts.selectors import email_in_use
from apps.accounts.services import player_ensure, user_email_set


class UserChangeForm(DjangoUserChangeForm):
    def clean_email(self) -> str:
        """The address rule of `user_email_set`, on the form: another account's address (in any case) is
        a form error, not a failed save."""
        email: str = self.cleaned_data.get("email") or ""
        if email and email_in_use(email=email, other_than=self.instance.pk):
            raise forms.ValidationError(EmailTaken.default_detail, code=EmailTaken.code)
        return email


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    list_display = [
        "username",
        "email",
        "email_verified",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "date_joined",
    ]
    list_filter = ["is_active", "email_verified", "is_staff", "is_superuser"]
    search_fields = ["username", "email", "first_name", "last_name"]
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "email", "password1", "password2")}),)
    # Only the player proves an address (link, code or Google); staff see whether it is proven.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email", "email_verified")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ["email_verified"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change and "email" in form.changed_data:
            user_email_set(user=obj, email=obj.email)  # unproven from now on
        super().save_model(request, obj, form, change)
        if not change and not obj.is_staff:
            player_ensure(user=obj)


@admin.register(Player)
class PlayerAdmin(admin.ModelAdmin):
    list_display = ["user", "total_points", "games_played", "games_won", "inviting_to_play", "last_seen"]
    list_filter = ["inviting_to_play"]
    search_fields = ["user__username"]
    readonly_fields = ["rating", "rating_deviation", "rating_volatility", "games_played", "games_won", "opponents_met"]
    list_select_related = ["user"]
