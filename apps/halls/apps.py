from django.apps import AppConfig


class HallsConfig(AppConfig):
    name = "apps.halls"
    label = "halls"
