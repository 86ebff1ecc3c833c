"""Create-or-replace of a row that is unique per some fields, safe when two requests create it at once."""

from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

M = TypeVar("M", bound=models.Model)


def upsert(model: type[M], *, defaults: dict[str, Any], **unique: Any) -> M:
    """`update_or_create` that survives a race on the first insert: the loser's insert hits the unique
    constraint, and its second try updates the row the winner made."""
    for _ in range(2):
        try:
            with transaction.atomic():
                row, _created = model._default_manager.update_or_create(defaults=defaults, **unique)
                return row
        except IntegrityError:
            continue
    raise RuntimeError(f"could not store the {model.__name__}")  # pragma: no cover - needs a three-way race
