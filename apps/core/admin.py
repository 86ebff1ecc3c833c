"""What every app's admin shares."""

from collections.abc import Iterator
from contextlib import contextmanager

from django import forms

from apps.core.exceptions import DomainError


@contextmanager
def domain_errors_as_form_errors() -> Iterator[None]:
    """Inside a form's clean(): a refusal from a service shows on the form, with its code, as any
    validation error would (the admin goes through the same services as REST)."""
    try:
        yield
    except DomainError as error:
        raise forms.ValidationError(error.detail, code=error.code) from error
