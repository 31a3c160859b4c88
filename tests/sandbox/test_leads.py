"""Ticket leads: the seed guide's examples, validation messages, the bulk limit and the upsert."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from salwidgets.client import MentaClient
from salwidgets.errors import NotFound, ValidationFailed
from tests.conftest import SandboxControl, World, event_push, make_client

SEED = json.loads((Path(__file__).parents[1] / "fixtures" / "seed_leads.json").read_text())
PATHS = {"ticket-leads": "/v1/marketdata/ticket-leads", "users": "/v1/marketdata/users"}


@pytest.fixture
def metallica(menta: MentaClient) -> str:
    """The seed documents' event and show, known to the sandbox."""
    payload = event_push("evt_2024_metallica", ["show_nyc_20240815"], title="Metallica").to_wire()
    try:
        menta.create_event(payload)
    except ValidationFailed:  # pushed by an earlier test: replace it
        menta.update_event(payload)
    return "evt_2024_metallica"


class TestSeedExamples:
    @pytest.mark.parametrize("family", ["ticket-leads", "users"])
    @pytest.mark.parametrize("index", range(len(SEED["single"])))
    def test_every_single_lead_example_is_accepted(
        self, sandbox: SandboxControl, metallica: str, family: str, index: int
    ) -> None:
        menta = make_client(sandbox.url, leads_path_family=family)

        menta.send_lead(SEED["single"][index])

    @pytest.mark.parametrize("index", range(len(SEED["bulk"])))
    def test_every_bulk_example_is_accepted_whole(self, menta: MentaClient, metallica: str, index: int) -> None:
        leads = SEED["bulk"][index]

        result = menta.send_leads(leads)

        assert (result.accepted, result.rejected) == (len(leads), ())

    def test_fragments_of_the_best_practices_fit_a_lead(self, menta: MentaClient, metallica: str) -> None:
        lead = {
            "type": "WISHLIST",
            "externalReferenceEventId": metallica,
            "showId": "show_nyc_20240815",
            **SEED["fragments"],
        }

        menta.send_lead(lead)

    @pytest.mark.parametrize("path", PATHS.values())
    def test_answers_are_the_guides_envelopes(self, sandbox: SandboxControl, metallica: str, path: str) -> None:
        ok, missing_buyer, unknown_event = SEED["answers"]
        lead = dict(SEED["single"][0])

        assert sandbox.call("POST", path, json=lead) == (200, ok)
        assert sandbox.call("POST", path, json={**lead, "buyer": {"fullName": "No Id"}}) == (400, missing_buyer)
        assert sandbox.call("POST", path, json={**lead, "externalReferenceEventId": "evt_nope"}) == (404, unknown_event)

    def test_date_is_accepted_under_both_names(self, menta: MentaClient, metallica: str) -> None:
        lead = {"type": "WISHLIST", "externalReferenceEventId": metallica, "showId": "s", "buyer": {"id": "u1"}}

        menta.send_lead({**lead, "date": "2024-12-10T14:20:00Z"})
        menta.send_lead({**lead, "purchaseDate": "2024-12-10T14:20:00Z"})
        with pytest.raises(ValidationFailed, match="date must be an ISO 8601 date"):
            menta.send_lead({**lead, "date": "last tuesday"})


class TestValidation:
    BASE: dict[str, Any] = {
        "type": "TICKET_HOLDER",
        "externalReferenceEventId": "evt_2024_metallica",
        "showId": "show_nyc_20240815",
        "ticketId": "T1",
        "buyer": {"email": "x@example.com"},
        "price": 10,
    }

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"type": "FAN"}, "type must be one of: TICKET_HOLDER, ABANDONED_CART, VIRTUAL_QUEUE, WISHLIST"),
            ({"externalReferenceEventId": ""}, "externalReferenceEventId is required"),
            ({"showId": None}, "showId is required"),
            ({"buyer": None}, "buyer is required"),
            ({"buyer": {"fullName": "Ann"}}, "buyer.email or buyer.phone or buyer.id is required"),
            ({"ticketId": None}, "ticketId is required for TICKET_HOLDER leads"),
            ({"currency": "dollars"}, "currency must be an ISO 4217 code, e.g. USD"),
            ({"tags": "vip"}, "tags must be a list of strings"),
            ({"metadata": [1]}, "metadata must be an object"),
            ({"seating": {"box": "1"}}, "seating must be an object with section, row and seat"),
            ({"price": "ten"}, "price must be a non-negative number"),
        ],
    )
    def test_refused_with_the_reason(
        self, menta: MentaClient, metallica: str, change: dict[str, Any], message: str
    ) -> None:
        with pytest.raises(ValidationFailed) as refused:
            menta.send_lead({**self.BASE, **change})

        assert refused.value.message == message

    def test_ticket_holder_needs_a_price(self, menta: MentaClient, metallica: str) -> None:
        lead = {name: value for name, value in self.BASE.items() if name != "price"}

        with pytest.raises(ValidationFailed, match="price is required for TICKET_HOLDER leads"):
            menta.send_lead(lead)

    def test_currency_is_optional_for_ticket_holders(self, menta: MentaClient, metallica: str) -> None:
        menta.send_lead(self.BASE)

    def test_unknown_event(self, menta: MentaClient) -> None:
        with pytest.raises(NotFound, match="Event not found"):
            menta.send_lead({**self.BASE, "externalReferenceEventId": "evt_never_pushed"})


class TestBulk:
    def test_each_lead_is_validated_on_its_own(self, menta: MentaClient, metallica: str) -> None:
        good = SEED["bulk"][0][0]
        leads = [good, {**good, "buyer": {}}, good, {**good, "externalReferenceEventId": "evt_nope"}]

        result = menta.send_leads(leads)

        assert result.accepted == 2
        assert [(r.index, r.message) for r in result.rejected] == [
            (1, "buyer.email or buyer.phone or buyer.id is required"),
            (3, "Event not found"),
        ]

    def test_1000_leads_in_one_request(self, sandbox: SandboxControl, metallica: str) -> None:
        leads = [
            {"type": "WISHLIST", "externalReferenceEventId": metallica, "showId": "s1000", "buyer": {"id": f"u{n}"}}
            for n in range(1001)
        ]

        assert sandbox.call("POST", PATHS["users"] + "/bulk", json=leads[:1000])[1]["data"]["accepted"] == 1000
        assert sandbox.call("POST", PATHS["users"] + "/bulk", json=leads) == (
            400,
            {"status": 400, "data": None, "errors": {"message": "Maximum 1000 leads per request"}},
        )

    def test_the_client_splits_larger_sets(self, menta: MentaClient, sandbox: SandboxControl, metallica: str) -> None:
        leads = [
            {"type": "WISHLIST", "externalReferenceEventId": metallica, "showId": "s2500", "buyer": {"id": f"v{n}"}}
            for n in range(2500)
        ]
        leads[1500] = {**leads[1500], "buyer": {}}
        sandbox.reset_stats()

        result = menta.send_leads(leads)

        assert sandbox.stats()["POST /v1/marketdata/ticket-leads/bulk"] == 3
        assert result.accepted == 2499
        assert [r.index for r in result.rejected] == [1500]


class TestUpsert:
    def test_same_buyer_event_and_show_is_one_lead(
        self, menta: MentaClient, sandbox: SandboxControl, world: World, metallica: str
    ) -> None:
        email = f"{world.id('fan')}@Example.com"
        lead = {"type": "ABANDONED_CART", "externalReferenceEventId": metallica, "showId": "show_nyc_20240815"}

        menta.send_lead({**lead, "buyer": {"email": email}})
        menta.send_lead({**lead, "type": "WISHLIST", "buyer": {"email": email.lower(), "id": "other"}})
        menta.send_lead({**lead, "showId": "show_other", "buyer": {"email": email}})

        rows = sandbox.rows(
            "SELECT show_id, type FROM menta_sandbox_lead WHERE identifier = ? ORDER BY show_id",
            f"email:{email.lower()}",
        )
        assert rows == [("show_nyc_20240815", "WISHLIST"), ("show_other", "ABANDONED_CART")]
