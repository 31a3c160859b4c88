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
