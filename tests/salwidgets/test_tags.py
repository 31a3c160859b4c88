"""``{% load sal %}``: inline when an answer is at hand, a lazy fragment otherwise, a fallback on failure."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import AnonymousUser, User
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory

from salwidgets import breaker, metrics
from tests.conftest import SandboxControl, World

pytestmark = pytest.mark.django_db


def render(source: str, user: Any = None, **context: Any) -> BeautifulSoup:
    request = RequestFactory().get("/page/")
    request.user = user or AnonymousUser()
    html = Template("{% load sal %}" + source).render(Context({"request": request, **context}))
    return BeautifulSoup(html, "html.parser")


@pytest.fixture
def show(site_menta: SandboxControl, world: World) -> tuple[str, str]:
    event_id, (show_id,) = world.event()
    return event_id, show_id


class TestShowTags:
    def test_nothing_cached_is_a_lazy_fragment(self, show: tuple[str, str], site_menta: SandboxControl) -> None:
        site_menta.reset_stats()

        html = render("{% sal_buy e s %}", e=show[0], s=show[1])

        lazy = html.select_one(".sal-lazy")
        assert lazy["hx-get"] == f"/sal/fragments/buy/?event={show[0]}&show={show[1]}"
        assert lazy["hx-trigger"] == "load once"
        assert site_menta.stats() == {}

    def test_a_cached_answer_renders_inline(self, show: tuple[str, str], site_menta: SandboxControl) -> None:
        render("{% sal_buy e s lazy=False %}", e=show[0], s=show[1])
        site_menta.reset_stats()

        html = render("{% sal_buy e s %}", e=show[0], s=show[1])

        assert html.select_one(".sal-lazy") is None
        assert html.select_one("[data-sal-component=button]")
        assert site_menta.stats() == {}

    def test_lazy_true_always_defers(self, show: tuple[str, str]) -> None:
        render("{% sal_buy e s lazy=False %}", e=show[0], s=show[1])

        assert render("{% sal_buy e s lazy=True %}", e=show[0], s=show[1]).select_one(".sal-lazy")

    def test_failure_renders_the_fallback(self, show: tuple[str, str], site_menta: SandboxControl) -> None:
        site_menta.faults(mode="down")

        buy = render("{% sal_buy e s lazy=False %}", e=show[0], s=show[1])
        sell = render("{% sal_sell lazy=False %}")

        assert buy.get_text(strip=True) == ""
        assert sell.select_one(".sal-fallback").get_text() == "Resale is unavailable right now. Please try again later."

    def test_unknown_show_renders_nothing(self, site_menta: SandboxControl) -> None:
        assert render("{% sal_buy 'evt_nope' 's' lazy=False %}").get_text(strip=True) == ""

    def test_needs_the_request(self) -> None:
        with pytest.raises(TemplateSyntaxError, match="need the request context processor"):
            Template("{% load sal %}{% sal_sell %}").render(Context({}))


class TestBatchTags:
    def test_many_shows_from_one_bulk_call(self, site_menta: SandboxControl, world: World) -> None:
        event_id, show_ids = world.event(shows=3)
        pairs = [(event_id, show_id) for show_id in show_ids]
        source = "{% sal_shows pairs lazy=False %}{% for e, s in pairs %}{% sal_show_button e s %}{% endfor %}"
        site_menta.reset_stats()

        html = render(source, pairs=pairs)

        assert len(html.select(".sal-button")) == 3
        assert site_menta.stats() == {"POST /v1/wrapper/accesslayer/bulk": 1}

    def test_missing_shows_wait_in_slots_for_one_loader(self, site_menta: SandboxControl, world: World) -> None:
        event_id, show_ids = world.event(shows=2)
        render("{% sal_shows pairs lazy=False %}", pairs=[(event_id, show_ids[0])])
        source = "{% sal_shows pairs %}{% for e, s in pairs %}{% sal_show_button e s %}{% endfor %}"

        html = render(source, pairs=[(event_id, show_id) for show_id in show_ids])

        assert html.select_one(".sal-loader")["hx-get"] == f"/sal/fragments/shows/?show={event_id}%2F{show_ids[1]}"
        assert len(html.select(".sal-button")) == 1 and len(html.select(".sal-slot")) == 1

    def test_tickets_and_orders_of_the_signed_in_person(self, site_menta: SandboxControl, world: World) -> None:
        user = User.objects.create_user("alice@example.com", "alice@example.com", "pw")
        event_id, (show_id,) = world.event()
        order_id = world.id("order")
        ticket_id = world.ticket(event_id, show_id, "alice@example.com", order_id=order_id)
        source = (
            "{% sal_tickets ids lazy=False %}{% sal_orders orders lazy=False %}"
            "{% for id in ids %}{% sal_ticket id %}{% endfor %}{% sal_order orders.0 %}"
        )

        html = render(source, user, ids=[ticket_id], orders=[order_id])

        assert [n["data-sal-status"] for n in html.select(".sal-item")] == ["SELLABLE", "SELLABLE"]

    @pytest.mark.parametrize(
        ("source", "message"),
        [
            ("{% sal_ticket %}", "'sal_ticket' takes a ticket id"),
            ("{% sal_order 'O1' 'O2' %}", "'sal_order' takes an order id"),
            ("{% sal_show_button 'evt' %}", "'sal_show_button' takes an event id and a show id"),
        ],
    )
    def test_an_item_tag_names_what_it_takes(self, source: str, message: str) -> None:
        with pytest.raises(TemplateSyntaxError, match=message):
            Template("{% load sal %}" + source)

    def test_an_item_without_its_batch_renders_nothing(self, site_menta: SandboxControl) -> None:
        html = render("{% sal_ticket 'T1' %}{% sal_show_button 'evt' 'show' %}")

        assert str(html) == ""

    def test_while_menta_is_down_every_item_shows_its_fallback_without_a_call(
        self, site_menta: SandboxControl, world: World
    ) -> None:
        user = User.objects.create_user("alice@example.com", "alice@example.com", "pw")
        event_id, show_ids = world.event(shows=2)
        ticket_ids = [world.ticket(event_id, show_ids[0], "alice@example.com") for _ in range(2)]
        site_menta.faults(mode="down")
        for _ in range(breaker.get_config()["BREAKER_FAILURES"]):
            breaker.record_failure()
        metrics.reset()
        site_menta.reset_stats()
        source = (
            "{% sal_shows pairs %}{% for e, s in pairs %}<p>{% sal_show_button e s %}</p>{% endfor %}"
            "{% sal_tickets ids %}{% for id in ids %}<p>{% sal_ticket id %}</p>{% endfor %}"
        )

        for _ in range(2):  # the second view knows at once that nothing is there
            html = render(source, user, pairs=[(event_id, show_id) for show_id in show_ids], ids=ticket_ids)

            # A show's and a ticket's fallbacks are empty: the page stays as it is without resale.
            assert [p.decode_contents() for p in html.select("p")] == ["", "", "", ""]
            assert not html.select(".sal-lazy, .sal-loader, .sal-slot")
        assert site_menta.stats() == {} and metrics.totals()["fallbacks"] == 8

    def test_anonymous_people_have_no_ctas(self, site_menta: SandboxControl) -> None:
        site_menta.reset_stats()

        html = render("{% sal_tickets ids %}{% sal_ticket 'T1' %}", ids=["T1"])

        assert html.get_text(strip=True) == "" and site_menta.stats() == {}
