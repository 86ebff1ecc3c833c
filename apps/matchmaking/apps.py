from django.apps import AppConfig


class MatchmakingConfig(AppConfig):
    name = "apps.matchmaking"
    label = "matchmaking"
