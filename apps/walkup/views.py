"""The public wait page: a screen by the bar, no login; the page itself holds nothing personal, it fills from
the public socket (`/ws/public/`)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.core.exceptions import DomainError
from apps.halls.selectors import hall_get_by_slug


@require_GET
def wait_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        hall = hall_get_by_slug(slug=slug)
    except DomainError as error:
        raise Http404(error.detail) from error
    return render(request, "walkup/wait.html", {"hall": hall})
