"""``salwidgets.apps``: what the app sets up when Django starts."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from salwidgets import cache

pytestmark = pytest.mark.django_db


def tickets_key(person: str) -> str:
    return cache.person_key(person, "tickets", ["T1", "T2"], "en")


def test_signing_in_starts_with_fresh_answers_about_that_person_only(django_user_model: Any) -> None:
    django_user_model.objects.create_user("ann@example.com", "Ann@Example.com", "demo12345")
    cache.put_person(tickets_key("ann@example.com"), {"T1": "listed"})
    cache.put_person(tickets_key("bob@example.com"), {"T1": "listed"})

    signed_in = Client().post("/accounts/login/", {"login": "ann@example.com", "password": "demo12345"}, follow=False)

    assert signed_in.status_code == 302
    assert cache.get_show(tickets_key("ann@example.com")) is None
    assert cache.get_show(tickets_key("bob@example.com")) is not None


def test_a_failed_sign_in_keeps_them(django_user_model: Any) -> None:
    django_user_model.objects.create_user("ann@example.com", "ann@example.com", "demo12345")
    cache.put_person(tickets_key("ann@example.com"), {"T1": "listed"})

    refused = Client().post("/accounts/login/", {"login": "ann@example.com", "password": "wrong"})

    assert refused.status_code == 400
    assert cache.get_show(tickets_key("ann@example.com")) is not None
