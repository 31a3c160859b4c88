"""Parsing menta's answers into typed objects: what is unknown or broken is dropped alone."""

from __future__ import annotations

import contextlib
import logging
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import given
from hypothesis import strategies as st

from salwidgets import wire

BUTTON = {"type": "button", "id": "b1", "label": "Buy", "url": "https://menta.example/b", "style": "primary"}


class TestComponents:
    def test_every_kind_is_parsed(self) -> None:
        raw = [
            {**BUTTON, "badge": "3 tickets from $80", "placement": "hero"},
            {
                "type": "banner",
                "id": "n",
                "class": "buy",
                "title": "T",
                "description": "B",
                "image": "https://img.example/b.png",
                "cta": {"label": "Go", "url": "u"},
            },
            {"type": "modal", "id": "m", "trigger": {"label": "How"}, "title": "T", "description": "B"},
            {
                "type": "list",
                "id": "l",
                "title": "Listings",
                "moreUrl": "more",
                "items": [
                    {
                        "listingId": "x",
                        "ticketOptionId": "GA",
                        "label": "GA",
                        "url": "u",
                        "price": {"amount": 80.5, "currency": "USD"},
                        "section": "A",
                        "row": 3,
                    }
                ],
            },
            {
                "type": "map",
                "id": "p",
                "title": "Map",
                "sections": [
                    {
                        "sectionId": "A",
                        "label": "A",
                        "available": 2,
                        "url": "u",
                        "minPrice": {"amount": "70", "currency": "EUR"},
                    }
                ],
            },
        ]

        components, dropped = wire.parse_components(raw)

        button, banner, modal, listing, seat_map = components
        assert (button.badge, button.placement) == ("3 tickets from $80", "hero")
        assert (banner.description, banner.cta) == ("B", wire.Link("Go", "u"))
        assert (banner.mode, banner.image) == ("buy", "https://img.example/b.png")
        assert (modal.trigger_label, modal.cta) == ("How", None)
        assert listing.items[0].price == wire.Money(Decimal("80.5"), "USD")
        assert (listing.items[0].row, listing.more_url) == ("3", "more")
        assert seat_map.sections[0].min_price == wire.Money(Decimal("70"), "EUR")
        assert seat_map.image is None
        assert dropped == ()

    def test_unknown_fields_are_ignored(self) -> None:
        (button,), _ = wire.parse_components([{**BUTTON, "color": "red", "experiment": {"a": 1}}])

        assert button == wire.Button(id="b1", label="Buy", url="https://menta.example/b", style="primary")

    def test_unknown_type_is_skipped_with_a_log_line(self, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.INFO, logger="salwidgets.wire")

        components, dropped = wire.parse_components([{"type": "carousel", "id": "c"}, BUTTON])

        assert [c.kind for c in components] == ["button"]
        assert dropped == (wire.Dropped(index=0, type="carousel", reason="unknown component type 'carousel'"),)
        assert "unknown component type 'carousel'" in caplog.text

    def test_a_component_missing_a_required_field_is_dropped_alone(self) -> None:
        components, dropped = wire.parse_components([{**BUTTON, "url": None}, BUTTON, "junk"])

        assert len(components) == 1
        assert [(d.index, d.reason) for d in dropped] == [
            (0, "missing field 'url'"),
            (2, "unknown component type None"),
        ]

    def test_unknown_style_falls_back_to_the_first(self) -> None:
        (button,), _ = wire.parse_components([{**BUTTON, "style": "neon"}])

        assert button.style == "primary"

    def test_components_must_be_a_list(self) -> None:
        with pytest.raises(wire.WireError, match="missing field 'components'"):
            wire.parse_access_layer({"type": "buy", "components": {"a": 1}})

    def test_a_component_menta_hides_is_left_out_and_not_counted_as_dropped(self) -> None:
        components, dropped = wire.parse_components([{**BUTTON, "visible": False}, {**BUTTON, "visible": True}])

        assert (len(components), dropped) == (1, ())

    def test_hex_colours_are_kept_in_lower_case(self) -> None:
        colors = {"background": "#5B3CC4", "text": "#fff", "accent": "#00aa77"}
        (button,), _ = wire.parse_components([{**BUTTON, "colors": colors}])

        assert button.colors == wire.Colors("#5b3cc4", "#fff", "#00aa77")
        assert button.colors.key == "5b3cc4-fff-00aa77"
        assert wire.Colors.from_key(button.colors.key) == button.colors

    @pytest.mark.parametrize(
        "value",
        [
            "red",
            "#12345",
            "#1234567",
            "#ggg",
            "rgb(0,0,0)",
            "url(https://evil.example/x.png)",
            "expression(alert(1))",
            "var(--x)",
            "#fff;background:url(//evil.example)",
            "#fff}body{display:none",
            " #fff",
            "#fff ",
            12,
            None,
            ["#fff"],
        ],
    )
    def test_anything_but_a_hex_colour_is_ignored_and_logged(
        self, value: object, caplog: pytest.LogCaptureFixture
    ) -> None:
        (button,), dropped = wire.parse_components([{**BUTTON, "colors": {"background": value, "text": "#000"}}])

        assert button.colors == wire.Colors(text="#000")
        assert dropped == ()
        assert "Ignored SAL colour background" in caplog.text

    @pytest.mark.parametrize("colors", ["#fff", ["#fff"], {"border": "#fff"}, {}])
    def test_colours_that_are_not_an_object_of_known_names_give_none(self, colors: object) -> None:
        (button,), _ = wire.parse_components([{**BUTTON, "colors": colors}])

        assert button.colors is None

    @pytest.mark.parametrize("key", ["", "x-x-x", "fff-fff", "FFF-x-x", "ffff-x-x", "fff-x-x-x", "f;f-x-x", "../-x-x"])
    def test_a_colour_key_that_names_no_colours_is_refused(self, key: str) -> None:
        assert wire.Colors.from_key(key) is None


class TestEnvelope:
    def test_error_message(self) -> None:
        envelope = wire.parse_envelope({"status": 404, "data": None, "errors": {"message": "Event not found"}})

        assert (envelope.status, envelope.error_message) == (404, "Event not found")

    @pytest.mark.parametrize("errors", [None, [], [None], [None, None]])
    def test_no_error_in_every_documented_form(self, errors: object) -> None:
        envelope = wire.parse_envelope({"status": 200, "data": 1, "errors": errors})

        assert envelope.error_message is None

    def test_a_list_of_errors_is_one_message(self) -> None:
        errors = [{"message": "title is required"}, None, {"message": "shows must contain at least one show"}]
        envelope = wire.parse_envelope({"status": 400, "data": None, "errors": errors})

        assert envelope.error_message == "title is required; shows must contain at least one show"

    @pytest.mark.parametrize(
        "body",
        [
            [],
            {"data": 1},
            {"status": "200", "data": 1},
            {"status": 200, "data": 1, "errors": 3},
            {"status": 200, "data": 1, "errors": [3]},
        ],
    )
    def test_not_an_envelope(self, body: object) -> None:
        with pytest.raises(wire.WireError):
            wire.parse_envelope(body)


class TestTicketAccess:
    def test_unknown_ctas_are_dropped_and_the_listing_price_read(self) -> None:
        (ticket,) = wire.parse_ticket_access(
            {
                "tickets": [
                    {
                        "ticketId": "T2",
                        "status": "FOR_SALE",
                        "listing": {"price": {"amount": 120.0, "currency": "USD"}},
                        "ctas": [
                            {"action": "EDIT", "label": "Edit", "url": "u"},
                            {"action": "TELEPORT", "label": "x", "url": "u"},
                            {"action": "DETAILS", "label": "Details"},
                        ],
                    }
                ]
            }
        )

        assert [c.action for c in ticket.ctas] == ["EDIT"]
        assert ticket.listing_price == wire.Money(Decimal("120.0"), "USD")

    def test_unknown_status_is_malformed(self) -> None:
        with pytest.raises(wire.WireError, match="unknown status 'MAYBE'"):
            wire.parse_ticket_access({"tickets": [{"ticketId": "T", "status": "MAYBE"}]})

    def test_orders(self) -> None:
        (order,) = wire.parse_order_access(
            {
                "orders": [
                    {
                        "orderId": "O1",
                        "status": "PARTIALLY_FOR_SALE",
                        "ticketIds": ["T1", "T2"],
                        "ctas": [{"action": "MANAGE", "label": "Manage", "url": "u"}],
                    }
                ]
            }
        )

        assert (order.status, order.ticket_ids, order.ctas[0].action) == ("PARTIALLY_FOR_SALE", ("T1", "T2"), "MANAGE")


class TestBodies:
    def test_bulk_groups_pairs_by_event_in_order(self) -> None:
        assert wire.bulk_body([("e1", "s1"), ("e2", "s3"), ("e1", "s2")]) == [
            {"eventId": "e1", "showIds": ["s1", "s2"]},
            {"eventId": "e2", "showIds": ["s3"]},
        ]

    def test_bulk_leads_offsets_rejected_indexes(self) -> None:
        result = wire.parse_bulk_leads({"accepted": 1, "rejected": [{"index": 2, "message": "m"}]}, offset=1000)

        assert result.rejected == (wire.RejectedLead(1002, "m"),)


# --- totality: whatever menta sends, a parser gives a value or WireError -----------------------

# Every field name the client reads, so that generated objects reach past the first check.
FIELDS = sorted(
    {
        name
        for module in Path(wire.__file__).parent.glob("*.py")
        for name in re.findall(r'"([a-z][A-Za-z]{1,30})"', module.read_text())
    }
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(
        ["NaN", "-Infinity", "1E+999999", "sNaN", "0", "-1", "1e-999", "USD", "\x00", "https://x.example/"]
    )
    | st.sampled_from(["button", "banner", "modal", "list", "map", "SELL", "SELLABLE", "ticket.updated"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=30,
)
PARSERS = {
    name: getattr(wire, name) for name in dir(wire) if name.startswith("parse_") and callable(getattr(wire, name))
}
TOTAL = hypothesis.settings(max_examples=60, deadline=None, database=None)


class TestTotality:
    @pytest.mark.parametrize("name", sorted(PARSERS))
    def test_any_json_gives_a_value_or_a_wire_error(self, name: str) -> None:
        @given(JSON)
        @TOTAL
        def holds(raw: Any) -> None:
            with contextlib.suppress(wire.WireError):
                PARSERS[name](raw)

        holds()

    @pytest.mark.parametrize("action", sorted(wire.WEBHOOK_PARSERS))
    def test_any_notification_data_gives_a_payload_or_a_wire_error(self, action: str) -> None:
        @given(st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=8), JSON)
        @TOTAL
        def holds(data: dict[str, Any], metadata: Any) -> None:
            body = {"message": {"action": action, "data": data, "metadata": metadata}}
            with contextlib.suppress(wire.WireError):
                wire.WEBHOOK_PARSERS[action](wire.parse_notification(body))

        holds()

    @given(st.one_of(st.floats(), st.integers(), st.text(max_size=30)))
    @TOTAL
    def test_a_parsed_price_is_finite_and_bounded(self, amount: Any) -> None:
        try:
            money = wire.shared._money({"amount": amount, "currency": "USD"})
        except wire.WireError:
            return
        assert money.amount.is_finite() and abs(money.amount) < wire.MAX_AMOUNT

    def test_nul_never_survives_in_text(self) -> None:
        parsed = wire.parse_token({"token": "to\x00ken"})

        assert parsed.token == "token"

    def test_nul_never_survives_in_ids(self) -> None:
        # PostgreSQL refused a payout whose listing ids carried one (found by a property test).
        assert wire.shared._ids({"listingIds": ["lst\x00_7", 8]}, "listingIds") == ("lst_7", "8")


def test_menta_field_names_are_spelled_in_the_wire_package_only() -> None:
    """Every camelCase name of menta's that the wire package spells is spelled nowhere else in
    salwidgets (the sandbox keeps its own reading). The JSON API for apps (``api``,
    ``api_schema``) is the site's own contract: it names the same things the same way on purpose."""
    root = Path(wire.__file__).parent.parent
    camel = re.compile(r'"([a-z]+[A-Z][A-Za-z]*)"')
    names = {name for module in (root / "wire").glob("*.py") for name in camel.findall(module.read_text())}
    own = {"api.py", "api_schema.py"}

    spelled = {
        str(path.relative_to(root)): sorted(set(camel.findall(path.read_text())) & names)
        for path in root.rglob("*.py")
        if path.relative_to(root).parts[0] not in ("wire", "sandbox") and path.name not in own
    }

    assert {path: found for path, found in spelled.items() if found} == {}
