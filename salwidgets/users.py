"""Who a signed-in person is to menta (``SALWIDGETS["USER_IDENTIFIER"]``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string

from salwidgets.conf import get_config


def email(user: Any) -> str:
    """The default identifier: the account's email address, lower-cased."""
    return str(user.email).strip().lower()


def identifier(user: Any) -> str:
    function: Callable[[Any], str] = import_string(get_config()["USER_IDENTIFIER"])
    return function(user)


def own_items(person: str, kind: str) -> list[str] | None:
    """The person's own ticket or order ids (``kind``), as the site tells them
    (``SALWIDGETS["PERSON_ITEMS"]``); None when the site does not say."""
    source = get_config()["PERSON_ITEMS"]
    if not source:
        return None
    ticket_ids, order_ids = import_string(source)(person)
    return list(ticket_ids if kind == "ticket" else order_ids)
