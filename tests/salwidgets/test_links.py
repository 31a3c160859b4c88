"""``salwidgets.links``: references to menta that only their person can follow, and the hosts
menta's URLs may point to."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest
from django.test import RequestFactory

from salwidgets import links

pytestmark = pytest.mark.django_db


def request_of(user: Any) -> HttpRequest:
    request = RequestFactory().get("/page/")
    request.user = user
    return request


def reference(signed: str) -> str:
    return parse_qs(urlsplit(signed).query)["ref"][0]


@pytest.fixture
def alice() -> User:
    return User.objects.create_user("alice", "alice@example.com", "x")


def test_a_reference_opens_for_its_person_only(alice: User) -> None:
    url = "https://marketplace.mentatech.io/sell/tickets/T1/"
    signed = links.sign(links.person_of(request_of(alice)), url, return_to="/my-tickets/", flow=("sell", "T1"))

    opened = links.open_reference(request_of(alice), reference(signed))

    # Neither the target nor the person can be read from the link (a "." or "@" is never in its
    # base64, so these cannot appear by chance).
    assert signed.startswith("/sal/go/?ref=") and "mentatech.io" not in signed and "@example.com" not in signed
    assert opened == links.Reference(url, "/my-tickets/", ("sell", "T1"))
    with pytest.raises(links.WrongPerson):
        links.open_reference(request_of(AnonymousUser()), reference(signed))
    with pytest.raises(links.TamperedLink):
        links.open_reference(request_of(alice), reference(signed)[:-4] + "AAAA")


def test_a_malformed_flow_is_no_flow(alice: User) -> None:
    signed = links.sign(
        links.person_of(request_of(alice)), "https://marketplace.mentatech.io/x/", flow=("buy", "only-one-id")
    )

    assert links.open_reference(request_of(alice), reference(signed)).flow == ()


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://marketplace.mentatech.io/buy/", True),
        ("http://api.mentatech.io:8443/x", True),
        ("https://evil.example/buy/", False),
        ("https://marketplace.mentatech.io.evil.example/", False),
        ("https://user@marketplace.mentatech.io/", False),
        ("https://marketplace.mentatech.io\\@evil.example/", False),
        ("javascript:alert(1)", False),
        ("https://market place.mentatech.io/", False),
        ("//marketplace.mentatech.io/", False),
    ],
)
def test_only_http_urls_to_allowed_hosts(url: str, allowed: bool) -> None:
    assert links.is_allowed(url) is allowed


def test_link_hosts_replace_the_defaults(settings: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "LINK_HOSTS": [".partner.example"]}

    assert links.is_allowed("https://shop.partner.example/") is True
    assert links.is_allowed("https://marketplace.mentatech.io/") is False


def test_params_are_added_without_replacing_the_url_s_own() -> None:
    url = links.with_params("https://m.example/p/?lang=en&a=1", lang="es", returnTo="/back/")

    assert parse_qs(urlsplit(url).query) == {"lang": ["en"], "a": ["1"], "returnTo": ["/back/"]}
