from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from apps.accounts.models import Player, User
from apps.accounts.services import player_ensure, user_email_set


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
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
