from django.apps import AppConfig


class WalkupConfig(AppConfig):
    name = "apps.walkup"
    label = "walkup"
