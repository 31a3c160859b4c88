"""salwidgets' URL confs (``urls``, ``ownership_urls``, ``webhook_urls``, ``admin_urls``): the
paths the demo mounts them at, and every one of them answering a bare request without a 500."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import SandboxControl

pytestmark = pytest.mark.django_db
CONFS = ("salwidgets.urls", "salwidgets.ownership_urls", "salwidgets.webhook_urls", "salwidgets.admin_urls")


def every_url() -> list[str]:
    """Each named URL of the four confs, with ``nonsense`` for each of its arguments."""
    urls = []
    for conf in CONFS:
        module = import_module(conf)
        for pattern in module.urlpatterns:
            arguments = dict.fromkeys(pattern.pattern.converters, "nonsense")
            urls.append(reverse(f"{module.app_name}:{pattern.name}", kwargs=arguments))
    return urls


def test_the_demo_mounts_them_where_product_documents_them() -> None:
    assert [
        reverse("salwidgets:show", args=["buy"]),
        reverse("salwidgets:shows"),
        reverse("salwidgets_ownership:tickets"),
        reverse("salwidgets_webhooks:receive"),
        reverse("salwidgets_admin:preview"),
    ] == ["/sal/fragments/buy/", "/sal/fragments/shows/", "/menta/tickets", "/menta/webhooks", "/admin/sal/"]


@pytest.mark.parametrize("url", every_url())
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed in"])
def test_a_bare_request_gets_an_answer_not_an_error(
    url: str, signed_in: bool, demo: SandboxControl, settings: Any
) -> None:
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    if signed_in:
        client.login(username="alice@example.com", password="demo12345")

    for answer in (client.get(url), client.post(url), client.get(url, headers={"HX-Request": "true"})):
        assert answer.status_code < 500, (url, answer.status_code, answer.content[:300])
