"""``salwidgets.viewer``: who sees a page, built once per request and passed down."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.test import RequestFactory
from django.utils import translation
from django.utils.safestring import SafeString
from django_htmx.middleware import HtmxDetails

from salwidgets import links, placement, slots, viewer


def test_a_request_has_one_viewer_built_at_its_first_use() -> None:
    request = RequestFactory().get("/events/e/s/", {"day": "2"})
    request.user = AnonymousUser()

    seen = viewer.of(request)

    assert viewer.of(request) is seen and request.sal_viewer is seen  # type: ignore[attr-defined]
    assert (seen.person, seen.fingerprint, seen.signed_in) == ("", "", False)
    assert (seen.origin, seen.page, seen.path) == ("http://testserver", "/events/e/s/?day=2", "/events/e/s/")


@pytest.mark.django_db
def test_a_signed_in_viewer_is_the_person_to_menta_and_their_links_fingerprint() -> None:
    alice = User.objects.create_user("alice", "Alice@Example.com", "x")
    request = RequestFactory().get("/my-tickets/")
    request.user = alice

    seen = viewer.of(request)

    assert seen.person == "alice@example.com" and seen.signed_in
    assert seen.fingerprint == links.person_of(request) and "alice" not in seen.fingerprint
    assert seen.key == (seen.fingerprint, "http://testserver/my-tickets/", seen.language)


def test_an_htmx_fragment_s_viewer_is_on_the_page_it_is_loaded_into_and_in_its_language() -> None:
    request = RequestFactory().get(
        "/sal/fragments/buy/", {"event": "e"}, headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/e/"}
    )
    request.htmx = HtmxDetails(request)  # type: ignore[attr-defined]

    with translation.override("es"):
        seen = viewer.of(request)

    back = urlsplit(seen.return_address)
    assert (seen.page, seen.language) == ("/e/", "es")
    assert (back.scheme, back.netloc, back.path, parse_qs(back.query)) == (
        "http",
        "testserver",
        "/sal/back/",
        {"next": ["/e/"]},
    )


def test_a_page_that_is_not_on_this_site_returns_home() -> None:
    request = RequestFactory().get("/a")
    request.path = "//evil.example/a"  # what a server could pass on for GET //evil.example/a

    assert viewer.of(request).page == "/"


def test_returning_elsewhere_and_another_language_are_new_viewers_with_their_own_batches() -> None:
    request = RequestFactory().get("/page/")
    seen = viewer.of(request)
    seen.batches["show"] = slots.Batch("show", lambda key: SafeString(""))

    elsewhere = seen.returning_to("/shows/1/")

    assert urlsplit(elsewhere.return_address).query == "next=%2Fshows%2F1%2F"
    assert seen.return_address.endswith("next=%2Fpage%2F")
    assert elsewhere.batches == {} and seen.speaking("es").language == "es"
    assert seen.speaking("es").key != seen.key


@pytest.mark.django_db
def test_a_viewer_is_built_anew_when_the_request_s_person_changes() -> None:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert not viewer.of(request).signed_in

    request.user = User.objects.create_user("bob", "bob@example.com", "x")
    viewer.forget(request)

    assert viewer.of(request).person == "bob@example.com"


def test_the_page_s_batches_are_found_by_its_items() -> None:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    placement.person_batch(request, "ticket", ["T1"], lazy=True)  # signed out: an empty batch

    assert viewer.of(request).batches["ticket"].item("T1") == ""
    assert "show" not in viewer.of(request).batches


@pytest.mark.parametrize("secure", [False, True])
def test_a_signed_out_request_s_identity_is_its_viewer_s_without_building_it(secure: bool, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["shop.example"]
    request = RequestFactory().get("/sal/api/v1/shows/e/s", HTTP_HOST="shop.example:8443", secure=secure)
    request.user = AnonymousUser()

    with translation.override("es"):
        cheap = viewer.identity(request)
        assert viewer.ATTRIBUTE not in request.__dict__
        seen = viewer.of(request)
        assert cheap == (seen.fingerprint, seen.origin, seen.language) == viewer.identity(request)
    assert cheap[1] == ("https" if secure else "http") + "://shop.example:8443"


@pytest.mark.django_db
def test_a_signed_in_request_s_identity_is_its_viewer_s() -> None:
    request = RequestFactory().get("/sal/api/v1/me/tickets")
    request.user = User.objects.create_user("ana", "ana@example.com", "pw")
    request.session = {}  # type: ignore[assignment]

    found = viewer.identity(request)

    seen = viewer.of(request)
    assert found == (seen.fingerprint, seen.origin, seen.language) and seen.fingerprint
