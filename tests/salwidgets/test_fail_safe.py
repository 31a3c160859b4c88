"""What salwidgets does when a dependency fails or a caller misbehaves: the cache down, too many
calls to menta, an unknown fragment, a link read or bent by someone else."""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.test import Client

from menta_sandbox.__main__ import redact
from salsite.models import Show
from salwidgets import links
from tests.conftest import SandboxControl

pytestmark = pytest.mark.django_db

SEED_SHOW = {"event": "evt_2024_metallica", "show": "show_nyc_20240815"}
# Nothing listens on port 1: every call to this Redis is refused.
DEAD_REDIS = "redis://127.0.0.1:1/0"


def calls_to_menta(sandbox: SandboxControl) -> int:
    return sum(count for call, count in sandbox.stats().items() if " /v1/" in call)


def html(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def shows(count: int) -> list[dict[str, str]]:
    found = Show.objects.upcoming()[:count]
    return [{"event": show.event.external_id, "show": show.external_id} for show in found]


class TestUnknownFragment:
    @pytest.mark.parametrize("kind", ["anything", "BUY", "tickets2", "..%2Fadmin"])
    def test_is_a_404_and_calls_nothing(self, demo: SandboxControl, client: Client, kind: str) -> None:
        demo.reset_stats()

        response = client.get(f"/sal/fragments/{kind}/", SEED_SHOW)

        assert response.status_code == 404
        assert calls_to_menta(demo) == 0


class TestRateLimit:
    def test_misses_beyond_the_limit_get_the_fallback_and_429(
        self, demo: SandboxControl, client: Client, settings: Any
    ) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "RATE_LIMIT": "2/m"}
        first, second, third = shows(3)
        demo.reset_stats()

        answers = [client.get("/sal/fragments/buy/", query) for query in (first, second, third)]

        assert [answer.status_code for answer in answers] == [200, 200, 429]
        assert html(answers[0]).select(".sal-button") and html(answers[1]).select(".sal-button")
        assert answers[2].content.decode().strip() == ""  # the buy fallback: no buttons, nothing to click
        assert 1 <= int(answers[2]["Retry-After"]) <= 60
        assert calls_to_menta(demo) == 2

    def test_answers_from_the_cache_never_count(self, demo: SandboxControl, client: Client, settings: Any) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "RATE_LIMIT": "1/m"}

        answers = [client.get("/sal/fragments/buy/", SEED_SHOW).status_code for _ in range(5)]

        assert answers == [200] * 5

    def test_clients_are_counted_apart(self, demo: SandboxControl, settings: Any) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "RATE_LIMIT": "1/m"}
        first, second = shows(2)

        one = Client(REMOTE_ADDR="198.51.100.1").get("/sal/fragments/buy/", first)
        other = Client(REMOTE_ADDR="198.51.100.2").get("/sal/fragments/buy/", second)

        assert (one.status_code, other.status_code) == (200, 200)

    def test_a_person_clicking_too_often_gets_a_clear_429_page(
        self, demo: SandboxControl, client: Client, settings: Any
    ) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "RATE_LIMIT": "2/m"}
        client.post("/accounts/login/", {"login": "alice@example.com", "password": "demo12345"})
        fragment = client.get("/sal/fragments/tickets/", {"id": "TKT-ALICE-001"})  # one call
        link = html(fragment).select_one('[data-sal-action="SELL"]')["href"]

        first, second = client.get(link), client.get(link)

        assert first.status_code == 302
        assert second.status_code == 429 and int(second["Retry-After"]) >= 1
        assert html(second).h1.get_text() == "Too many requests"

    def test_none_means_no_limit(self, demo: SandboxControl, client: Client, settings: Any) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "RATE_LIMIT": None}

        assert {client.get("/sal/fragments/buy/", query).status_code for query in shows(4)} == {200}


@pytest.fixture
def redis_down(settings: Any) -> None:
    """The demo's two caches on a Redis that refuses every connection."""
    settings.CACHES = {
        "default": {
            "BACKEND": "salsite.caches.FailOpenRedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25},
        },
        "sal": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DEAD_REDIS},
    }
    settings.SALWIDGETS = {**settings.SALWIDGETS, "CACHE_ALIAS": "sal"}


class TestCacheDown:
    def test_pages_render_and_components_still_come_from_menta(
        self, demo: SandboxControl, redis_down: None, client: Client
    ) -> None:
        listing = client.get("/")
        show = client.get("/events/evt_2024_metallica/show_nyc_20240815/")
        fragment = client.get("/sal/fragments/buy/", SEED_SHOW)

        assert (listing.status_code, show.status_code, fragment.status_code) == (200, 200, 200)
        assert html(show).select(".sal-lazy")  # a miss: the components arrive lazily
        assert html(fragment).select(".sal-button")

    def test_sign_in_and_my_tickets_work(self, demo: SandboxControl, redis_down: None, client: Client) -> None:
        signed_in = client.post("/accounts/login/", {"login": "alice@example.com", "password": "demo12345"})
        page = client.get("/my-tickets/")

        assert signed_in.status_code == 302 and signed_in["Location"] == "/my-tickets/"
        assert page.status_code == 200 and html(page).select('[data-ticket="TKT-ALICE-001"]')

    def test_the_rate_limit_lets_everyone_through(
        self, demo: SandboxControl, redis_down: None, client: Client, settings: Any
    ) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "RATE_LIMIT": "1/m"}

        assert {client.get("/sal/fragments/buy/", query).status_code for query in shows(3)} == {200}


class TestLinks:
    def test_a_reference_reveals_neither_the_target_nor_the_person(self, demo: SandboxControl, client: Client) -> None:
        client.post("/accounts/login/", {"login": "alice@example.com", "password": "demo12345"})
        fragment = client.get("/sal/fragments/tickets/", {"id": "TKT-ALICE-001"})
        link = html(fragment).select_one('[data-sal-action="SELL"]')["href"]
        reference = parse_qs(urlsplit(link).query)["ref"][0]
        raw = base64.urlsafe_b64decode(reference + "=" * (-len(reference) % 4))

        target = urlsplit(client.get(link)["Location"])
        assert target.path == "/sell/tickets/TKT-ALICE-001/"
        for secret in ("TKT-ALICE-001", "/sell/", target.netloc, "alice", "returnTo", "next="):
            assert secret not in reference and secret.encode() not in raw

    @pytest.mark.parametrize(
        "url",
        [
            "https://evil.example\\.mentatech.io/sell",  # a browser reads "\" as "/": host evil.example
            "https:\\\\evil.example/.mentatech.io",
            "https://evil.example%2F.mentatech.io/sell",
            "https://api.mentatech.io:443@evil.example/sell",
            "https://user@api.mentatech.io/sell",
            "https://evil.example\t.mentatech.io/sell",
            "https://api.mentatech.io /sell",
            "https:/api.mentatech.io/sell",
            "https://[::1].mentatech.io/sell",
            "https://api.mentatech.io:99999999/sell",
            "https://.mentatech.io/sell",
            "javascript://api.mentatech.io/%0aalert(1)",
        ],
    )
    def test_parser_confusion_is_refused(self, settings: Any, url: str) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "LINK_HOSTS": [".mentatech.io"]}

        assert not links.is_allowed(url)

    @pytest.mark.parametrize(
        "url",
        ["https://api.mentatech.io/sell?x=1", "HTTPS://API.mentatech.io/sell", "https://a-b.mentatech.io:8443/"],
    )
    def test_plain_urls_are_allowed(self, settings: Any, url: str) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "LINK_HOSTS": [".mentatech.io"]}

        assert links.is_allowed(url)

    def test_a_rendered_link_is_served_for_at_most_half_its_life(
        self, demo: SandboxControl, client: Client, settings: Any
    ) -> None:
        def button() -> str:
            return str(html(client.get("/sal/fragments/buy/", SEED_SHOW)).select_one(".sal-button")["href"])

        assert button() == button()  # rendered once, served again from this process
        settings.SALWIDGETS = {**settings.SALWIDGETS, "LINK_MAX_AGE": 1}
        before = button()
        time.sleep(0.6)

        assert button() != before  # older than half of LINK_MAX_AGE: rendered (and signed) anew


@pytest.mark.parametrize(
    "line",
    [
        "GET /sell/?ott=SECRET&x=1 HTTP/1.1",
        "GET /sell/?x=1&%6Ftt=SECRET HTTP/1.1",
        "GET /sell/?OTT=SECRET HTTP/1.1",
        "GET /sell/?o%74t=SECRET&ott=SECRET2 HTTP/1.1",
        "GET /sell/?ott+=SECRET HTTP/1.1",
        '"GET /buy/?a=1&ott=SECRET" 302 0',
    ],
)
def test_the_sandbox_log_never_shows_a_token(line: str) -> None:
    assert "SECRET" not in redact(line, "ott")
    assert "[redacted]" in redact(line, "ott")
