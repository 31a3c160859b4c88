"""``salwidgets.users``: who a signed-in person is to menta."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from salwidgets import users


def upper_username(user: Any) -> str:
    return str(user.username).upper()


def test_by_default_the_email_lower_cased_and_trimmed() -> None:
    assert users.identifier(SimpleNamespace(email=" Alice@Example.COM ")) == "alice@example.com"


def test_a_site_can_name_its_own_identifier(settings: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "USER_IDENTIFIER": "tests.salwidgets.test_users.upper_username"}

    assert users.identifier(SimpleNamespace(username="alice", email="a@example.com")) == "ALICE"
