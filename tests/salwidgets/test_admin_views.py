"""The admin preview (`salwidgets.admin_views`), and the health view and command."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.core.management import CommandError, call_command
from django.test import Client

from salwidgets.models import OutboxItem
from tests.conftest import SandboxControl

SEED = {"event": "evt_2024_metallica", "show": "show_nyc_20240815", "type": "buy", "lang": "en"}
SAL = "GET /v1/wrapper/accesslayer"


def soup(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


@pytest.fixture
def staff(demo: SandboxControl) -> Client:
    client = Client()
    client.login(username="admin@example.com", password="admin12345")
    return client


class TestAccess:
    @pytest.mark.parametrize(
        "path", ["/admin/sal/", "/admin/sal/components/", "/admin/sal/ctas/", "/admin/sal/health/"]
    )
    def test_non_staff_are_sent_to_the_admin_login(self, demo: SandboxControl, path: str) -> None:
        alice = Client()
        alice.login(username="alice@example.com", password="demo12345")

        for client in (Client(), alice):
            response = client.get(path)
            assert response.status_code == 302 and response["Location"].startswith("/admin/login/")

    @pytest.mark.parametrize(
        ("path", "params"),
        [
            ("/admin/sal/", {}),
            ("/admin/sal/components/", SEED),
            ("/admin/sal/ctas/", {"user": "alice@example.com"}),
            ("/admin/sal/health/", {}),
        ],
    )
    def test_staff_without_the_preview_permissions_get_403(
        self, demo: SandboxControl, path: str, params: dict[str, str]
    ) -> None:
        olivia = Client()  # staff, allowed one event's ticket report and nothing else
        olivia.login(username="olivia@example.com", password="demo12345")

        response = olivia.get(path, params)

        assert response.status_code == 403
        assert "alice@example.com" not in response.content.decode()
        assert [olivia.post(p, SEED).status_code for p in ("/admin/sal/refresh/", "/admin/sal/purge/")] == [403, 403]
        assert not soup(olivia.get("/admin/")).select("#sal-admin")

    def test_a_persons_ctas_need_their_own_permission(self, demo: SandboxControl) -> None:
        from django.contrib.auth.models import Permission, User

        olivia = User.objects.get(email="olivia@example.com")
        olivia.user_permissions.add(Permission.objects.get(codename="preview_components"))
        client = Client()
        client.force_login(olivia)

        assert client.get("/admin/sal/components/", SEED).status_code == 200
        assert client.get("/admin/sal/ctas/", {"user": "alice@example.com"}).status_code == 403
        tabs = [a.get_text() for a in soup(client.get("/admin/sal/", {"tab": "ctas"})).select(".sal-tabs a")]
        assert tabs == ["Components of a show", "Status"]  # no "A person's CTAs"
        olivia.user_permissions.set([Permission.objects.get(codename="preview_person")])
        assert client.get("/admin/sal/ctas/", {"user": "alice@example.com"}).status_code == 200
        assert client.get("/admin/sal/components/", SEED).status_code == 403
        tabs = [a.get_text() for a in soup(client.get("/admin/sal/")).select(".sal-tabs a")]
        assert tabs == ["A person's CTAs"]

    def test_linked_from_the_admin_index(self, staff: Client) -> None:
        links = [a["href"] for a in soup(staff.get("/admin/")).select("#sal-admin a")]

        assert links == ["/admin/sal/", "/admin/sal/health/"]

    def test_the_page_offers_the_sites_shows(self, staff: Client) -> None:
        html = soup(staff.get("/admin/sal/"))

        assert "evt_2024_metallica/show_nyc_20240815" in [o["value"] for o in html.select("#sal-show option")]
        assert html.select_one("form[hx-get]")["hx-get"] == "/admin/sal/components/"


class TestComponents:
    def test_the_seed_show_with_raw_json_and_cache_state(self, staff: Client) -> None:
        cold = soup(staff.get("/admin/sal/components/", SEED))
        refreshed = soup(staff.post("/admin/sal/refresh/", SEED))

        assert cold.select_one("[data-sal-cache-state]")["data-sal-cache-state"] == "missing"
        assert json.loads(cold.select_one(".sal-raw").get_text())["showId"] == "show_nyc_20240815"
        assert refreshed.select_one("[data-sal-cache-state]")["data-sal-cache-state"] == "fresh"
        kinds = [n["data-sal-component"] for n in refreshed.select(".sal-preview-page [data-sal-component]")]
        assert kinds == ["button", "banner", "modal", "list", "map"]
        assert "Fetched from menta just now." in refreshed.get_text()

    def test_pick_fills_the_ids(self, staff: Client) -> None:
        html = soup(staff.get("/admin/sal/components/", {"pick": "evt_2024_metallica/show_nyc_20240815"}))

        assert "salwidgets:v1:show:buy:en:" in html.select_one("code").get_text()

    def test_purge_makes_the_next_page_view_ask_menta(self, staff: Client, demo: SandboxControl) -> None:
        visitor = Client()
        fragment = "/sal/fragments/buy/?event=evt_2024_metallica&show=show_nyc_20240815"
        visitor.get(fragment)
        demo.reset_stats()
        visitor.get("/events/evt_2024_metallica/show_nyc_20240815/")
        assert demo.stats() == {}

        purged = soup(staff.post("/admin/sal/purge/", SEED))
        demo.reset_stats()
        page = soup(visitor.get("/events/evt_2024_metallica/show_nyc_20240815/"))
        visitor.get(fragment)

        assert purged.select_one("[data-sal-cache-state]")["data-sal-cache-state"] == "missing"
        assert page.select_one(".sal-lazy") is not None
        assert demo.stats() == {SAL: 1}

    def test_dropped_components_and_why(self, staff: Client, settings: Any) -> None:
        staff.post("/admin/sal/refresh/", SEED)
        settings.SALWIDGETS = {**settings.SALWIDGETS, "LINK_HOSTS": ["menta.example"]}

        html = soup(staff.get("/admin/sal/components/", SEED))

        assert html.select_one(".sal-dropped li").get_text() == "#0 button: URL not allowed: 127.0.0.1"

    def test_a_buy_preview_needs_a_show(self, staff: Client) -> None:
        assert "Pick a show" in soup(staff.get("/admin/sal/components/", {"type": "buy"})).get_text()

    def test_sell_components_need_no_show(self, staff: Client) -> None:
        html = soup(staff.post("/admin/sal/refresh/", {"type": "sell", "lang": "es"}))

        assert html.select_one(".sal-banner__title").get_text() == "¿No puedes ir?"


class TestCtas:
    def test_alices_statuses_without_tokens(self, staff: Client, demo: SandboxControl) -> None:
        demo.reset_stats()

        html = soup(staff.get("/admin/sal/ctas/", {"user": "alice@example.com"}))

        statuses = {
            row["data-sal-item"]: row.select_one("[data-sal-status]")["data-sal-status"]
            for row in html.select("[data-sal-item]")
        }
        assert statuses["TKT-ALICE-001"] == "SELLABLE"
        assert statuses["TKT-ALICE-005"] == "NOT_SELLABLE"
        assert statuses["ORD-ALICE-1"] == "SELLABLE"
        assert html.select("a") == []
        assert "GET /v1/auth/oneTimeToken" not in demo.stats()

    def test_needs_an_email(self, staff: Client) -> None:
        assert "Type the person's email." in soup(staff.get("/admin/sal/ctas/")).get_text()


class TestHealth:
    def test_view(self, staff: Client, demo: SandboxControl) -> None:
        healthy = staff.get("/admin/sal/health/").json()
        demo.faults(mode="down")
        sick = staff.get("/admin/sal/health/")

        assert healthy["ok"] is True and healthy["breaker"] == "closed" and healthy["cache_ok"] is True
        assert "LocMemCache" in healthy["cache_backend"]
        assert sick.status_code == 503 and sick.json()["menta_reachable"] is False

    def test_sal_ping(self, demo: SandboxControl) -> None:
        out = io.StringIO()
        call_command("sal_ping", stdout=out)
        assert out.getvalue().startswith("menta:   reachable in ")

        demo.faults(mode="down")
        with pytest.raises(CommandError, match="not healthy"):
            call_command("sal_ping", "--json", stdout=out)
        assert json.loads(out.getvalue().splitlines()[-1])["menta_reachable"] is False


class TestSalPing:
    """``sal_ping`` says which problem it found, in one line an operator acts on."""

    def ping(self) -> tuple[str, str]:
        out = io.StringIO()
        with pytest.raises(CommandError) as failed:
            call_command("sal_ping", stdout=out)
        return out.getvalue(), str(failed.value)

    def test_a_refused_api_key_is_not_an_outage(self, demo: SandboxControl, settings: Any) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "API_KEY": "not-the-key"}

        out, error = self.ping()

        assert out.startswith("menta:   KEY REFUSED (")
        assert error == "The SAL integration is not healthy: menta refused the API key."

    def test_nobody_answering_is_unreachable(self, demo: SandboxControl, settings: Any) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "BASE_URL": "http://127.0.0.1:1", "MAX_RETRIES": 0}

        out, error = self.ping()

        assert out.startswith("menta:   UNREACHABLE (")
        assert error == "The SAL integration is not healthy: menta is unreachable or unavailable."

    def test_items_refused_for_good_are_counted_while_menta_is_fine(self, demo: SandboxControl) -> None:
        for n in range(2):
            OutboxItem.objects.create(kind="lead", key=f"l{n}", lane=f"l{n}", payload={}, status="failed")

        out, error = self.ping()

        assert out.startswith("menta:   reachable in ")
        assert error == (
            "The SAL integration is not healthy: 2 outbox items were refused for good (see the admin's outbox)."
        )


class TestStatus:
    """The status tab: the integration at a glance, from the outbox, the webhooks and the breaker."""

    def tiles(self, staff: Client) -> dict[str, Any]:
        page = soup(staff.get("/admin/sal/?tab=status"))
        return {tile["data-tile"]: tile for tile in page.select(".sal-tile")}

    def test_what_waits_what_failed_what_arrived(self, staff: Client, settings: Any) -> None:
        from datetime import timedelta

        from django.utils import timezone

        from salwidgets import breaker
        from salwidgets.models import WebhookDelivery

        OutboxItem.objects.all().delete()
        now = timezone.now()
        OutboxItem.objects.create(kind="lead", key="l1", lane="l1", payload={}, created_at=now - timedelta(minutes=12))
        OutboxItem.objects.create(kind="lead", key="l2", lane="l2", payload={}, status="failed")
        for hours_ago in (0, 0, 3):
            OutboxItem.objects.create(
                kind="ticket",
                key=f"t{hours_ago}",
                lane="t",
                payload={},
                status="delivered",
                delivered_at=now - timedelta(hours=hours_ago, minutes=1),
            )
        WebhookDelivery.objects.create(webhook_id="m1", key="m1", action="ticket.updated", outcome="conflict")
        settings.SALWIDGETS = {**settings.SALWIDGETS, "BREAKER_FAILURES": 1}
        breaker.record_failure()

        tiles = self.tiles(staff)

        assert tiles["waiting"].select_one(".sal-tile__value").text == "1"
        assert tiles["waiting"].select_one(".sal-tile__note").text == "oldest since 12\xa0minutes"
        assert tiles["failed"].select_one("a")["href"] == "/admin/salwidgets/outboxitem/?status__exact=failed"
        assert "sal-tile--bad" in tiles["failed"]["class"] and tiles["failed"].select_one("a").text == "1"
        spark = tiles["delivered"].select_one("svg")
        assert spark["aria-label"] == (
            "Items delivered to menta per hour, last 24 hours: 3 in all, at most 2 in an hour"
        )
        assert len(spark.select_one("polyline")["points"].split()) == 24
        assert tiles["webhook"].select_one(".sal-tile__note").text == "ticket.updated: Conflict (contradicts the site)"
        assert tiles["breaker"].select_one(".sal-tile__value").text == "held off"

    def test_a_quiet_integration(self, staff: Client) -> None:
        OutboxItem.objects.all().delete()

        tiles = self.tiles(staff)

        assert tiles["waiting"].select_one(".sal-tile__note").text == "nothing waits"
        assert tiles["failed"].select_one(".sal-tile__note").text == "none"
        assert tiles["breaker"].select_one(".sal-tile__value").text == "flowing"
        assert "in all, at most 0" in tiles["delivered"].select_one("svg")["aria-label"]

    def test_the_last_hour_of_lookups_and_calls(self, staff: Client, monkeypatch: pytest.MonkeyPatch) -> None:
        import time

        from salwidgets import metrics

        metrics.reset()
        now = time.time()
        two_hours_ago = now - 2 * 3600
        for at, name, n in (
            (two_hours_ago, "hits", 50),  # before the last hour: in the sparkline, not the rate
            (two_hours_ago, "menta_calls", 2),
            (two_hours_ago, "menta_ms", 900),
            (now, "hits", 6),
            (now, "stale", 1),
            (now, "misses", 3),
            (now, "menta_calls", 4),
            (now, "menta_failed", 1),
            (now, "menta_ms", 600),
            (now, "outbox_retrying", 2),
            (now, "outbox_failed", 1),
        ):
            monkeypatch.setattr(metrics.time, "time", lambda at=at: at)
            metrics.count(name, n)
        monkeypatch.setattr(metrics.time, "time", lambda: now)
        metrics.flush()

        tiles = self.tiles(staff)

        assert tiles["cache"].select_one(".sal-tile__value").text == "70%"  # 6 fresh + 1 stale of 10
        assert tiles["cache"].select_one(".sal-tile__note").text == "10 lookups, 1 served stale"
        assert tiles["latency"].select_one(".sal-tile__value").text == "150 ms"
        assert tiles["latency"].select_one(".sal-tile__note").text == "4 calls, 1 failed"
        assert tiles["latency"].select_one("svg")["aria-label"] == (
            "menta's mean latency per hour, last 24 hours: at most 450 ms, 150 ms this hour"
        )
        failures = tiles["failed"].select_one("svg")
        assert failures["aria-label"] == (
            "Deliveries that failed (to retry or refused) per hour, last 24 hours: 3 in all, at most 3 in an hour"
        )
        metrics.reset()

    def test_no_lookups_and_no_calls_yet(self, staff: Client) -> None:
        from salwidgets import metrics

        metrics.reset()

        tiles = self.tiles(staff)

        assert tiles["cache"].select_one(".sal-tile__value").text == "no lookups"
        assert tiles["latency"].select_one(".sal-tile__value").text == "no calls"
