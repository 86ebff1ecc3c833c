import os

from django.core.wsgi import get_wsgi_application
from django.urls import reverse

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "strikem.settings.base")

application = get_wsgi_application()

# Import the URL tree (every app's views and serializers, drf-spectacular) and compile its patterns now,
# with the application, rather than in the first request a worker serves (that request took ~110 ms longer,
# and with 5 workers those first requests were the slowest calls of bench/tournament_calls.py). Gunicorn
# preloads the application (deploy/gunicorn.conf.py), so this runs once, in its master, before it forks.
reverse("health")
