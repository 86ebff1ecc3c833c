import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "strikem.settings.base")

app = Celery("strikem")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
