"""The webhook receiver through HTTP: authentication, envelopes, replays, bad bodies, dispatch, caches."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import hypothesis
import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from standardwebhooks import Webhook

from salwidgets import cache, metrics, signals, wire
from salwidgets.models import WebhookDelivery
from tests.salwidgets.test_wire import FIELDS, JSON

pytestmark = pytest.mark.django_db

URL = "/menta/webhooks"
SECRET = "webhook-test-secret"
KEY = "whsec_" + "a2V5LW9uZS1mb3ItdGhlLXdlYmhvb2stdGVzdHMhIQ=="
NEW_KEY = "whsec_" + "a2V5LXR3by1mb3ItdGhlLXdlYmhvb2stdGVzdHMhIQ=="

LISTING = {
    "listingId": "lst_7",
    "ticketIds": ["TKT-1"],
    "eventId": "evt_1",
    "showId": "show_1",
    "sellerEmail": "Alice@Example.com",
    "price": {"amount": 101.5, "currency": "USD"},
    "status": "ACTIVE",
}
RESOLD = {"id": "TKT-1", "newOwnerEmail": "bob@example.com", "oldOwnerEmail": "alice@example.com"}


def body(action: str, data: dict[str, Any], **extra: Any) -> bytes:
    return json.dumps({"message": {"family": action.split(".")[0], "action": action, "data": data, **extra}}).encode()


@pytest.fixture(autouse=True)
def configured(settings: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "VERIFY_SECRET": SECRET, "WEBHOOK_SIGNING_SECRETS": []}


@pytest.fixture
def heard() -> Iterator[list[tuple[str, Any]]]:
    """What the signals delivered, by signal name (the demo's own receivers are left connected)."""
    received: list[tuple[str, Any]] = []
    names = {"ticket_resold", "listing_changed", "event_unlocked", "notify_me", "payout_delivered"}
    for name in names:

        def record(sender: Any, payload: Any, _name: str = name, **kwargs: Any) -> None:
            received.append((_name, payload))

        getattr(signals, name).connect(record, weak=False, dispatch_uid=f"test.{name}")
    yield received
    for name in names:
        getattr(signals, name).disconnect(dispatch_uid=f"test.{name}")


def post(
    data: bytes,
    *,
    webhook_id: str | None = "msg_1",
    secret: str | None = SECRET,
    sign_with: tuple[str, ...] = (),
    at: datetime | None = None,
    **headers: str,
) -> Any:
    extra: dict[str, str] = {}
    if secret is not None:
        extra["HTTP_X_MENTA_SECRET"] = secret
    if webhook_id is not None:
        extra["HTTP_WEBHOOK_ID"] = webhook_id
    if sign_with:
        when = at or datetime.now(UTC)
        extra["HTTP_WEBHOOK_TIMESTAMP"] = str(int(when.timestamp()))
        extra["HTTP_WEBHOOK_SIGNATURE"] = " ".join(
            Webhook(key).sign(webhook_id or "", when, data.decode()) for key in sign_with
        )
    extra.update(headers)
    return Client().post(URL, data=data, content_type="application/json", **extra)


def outcome() -> tuple[str, str, str]:
    delivery = WebhookDelivery.objects.order_by("-id").first()
    assert delivery is not None
    return delivery.outcome, delivery.action, delivery.error


class TestEnvelopes:
    def test_the_current_envelope_is_applied_and_dispatched_typed(self, heard: list[tuple[str, Any]]) -> None:
        answer = post(body("listing.created", LISTING, type="SINGLE"))

        assert (answer.status_code, answer.json()) == (200, {"status": "applied"})
        assert outcome() == ("applied", "listing.created", "")
        assert heard == [
            (
                "listing_changed",
                wire.ListingChanged(
                    action="listing.created",
                    listing_id="lst_7",
                    ticket_ids=("TKT-1",),
                    event_id="evt_1",
                    show_id="show_1",
                    seller_email="alice@example.com",
                    price=wire.Money(wire.Decimal("101.5"), "USD"),
                    status="ACTIVE",
                    type="SINGLE",
                ),
            )
        ]

    def test_the_older_flat_envelope(self, heard: list[tuple[str, Any]]) -> None:
        flat = {"family": "listing", "action": "listing.deleted", "data": {**LISTING, "status": "WITHDRAWN"}}

        answer = post(json.dumps(flat).encode())

        assert (answer.status_code, outcome()[:2]) == (200, ("applied", "listing.deleted"))
        assert [(name, payload.action, payload.status) for name, payload in heard] == [
            ("listing_changed", "listing.deleted", "WITHDRAWN")
        ]

    def test_a_named_tickets_holder_comes_from_metadata_in_either_envelope(self) -> None:
        nominal = {"nominal": {"fullName": "Bob Buyer", "identificationNumber": "X123"}}
        flat = {"action": "ticket.updated", "data": {"id": 42, "newOwnerEmail": "Bob@Example.com"}, "metadata": nominal}
        nested = {"message": {**flat, "type": "USER_TRANSFER"}}

        parsed = [wire.WEBHOOK_PARSERS["ticket.updated"](wire.parse_notification(raw)) for raw in (flat, nested)]

        assert parsed == [
            wire.TicketResold("42", "bob@example.com", None, None, wire.Nominal("Bob Buyer", "X123")),
            wire.TicketResold("42", "bob@example.com", None, "USER_TRANSFER", wire.Nominal("Bob Buyer", "X123")),
        ]
        assert parsed[1].is_transfer and not parsed[0].is_transfer

    def test_an_unknown_ticket_is_refused_by_the_sites_receiver(self) -> None:
        answer = post(body("ticket.updated", RESOLD))

        assert (answer.status_code, answer.json()) == (
            422,
            {"status": "rejected", "message": "no ticket 'TKT-1' on this site"},
        )
        assert outcome() == ("rejected", "ticket.updated", "no ticket 'TKT-1' on this site")

    @pytest.mark.parametrize(
        ("action", "data", "signal", "payload"),
        [
            (
                "event.unlock",
                {"eventId": "evt_1", "showId": "show_1"},
                "event_unlocked",
                wire.EventUnlocked("evt_1", "show_1"),
            ),
            (
                "notifyMe.created.updated",
                {"email": "Carol@Example.com", "eventId": "evt_1", "showId": "show_1"},
                "notify_me",
                wire.NotifyMe("carol@example.com", "evt_1", "show_1"),
            ),
            (
                "payouts.delivered",
                {
                    "eventId": "evt_1",
                    "showId": "show_1",
                    "sellerEmail": "alice@example.com",
                    "listingIds": ["lst_7"],
                    "amount": {"amount": 90, "currency": "USD"},
                },
                "payout_delivered",
                wire.PayoutDelivered(
                    "evt_1", "show_1", "alice@example.com", ("lst_7",), wire.Money(wire.Decimal("90"), "USD")
                ),
            ),
        ],
    )
    def test_every_action_reaches_its_signal(
        self, heard: list[tuple[str, Any]], action: str, data: dict[str, Any], signal: str, payload: Any
    ) -> None:
        answer = post(body(action, data))

        assert answer.status_code == 200
        assert heard == [(signal, payload)]


class TestAuthentication:
    def test_without_the_secret_the_answer_is_the_unknown_urls(self, settings: Any) -> None:
        settings.DEBUG = False
        unknown = Client().post("/menta/no-such-thing", data=b"{}", content_type="application/json")

        answer = post(body("listing.created", LISTING), secret=None)

        def page(response: Any) -> str:  # the site's 404 page, but its CSRF token and own address
            return re.sub(
                r'type="hidden" value="[^"]*"|name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode()
            )

        assert (answer.status_code, page(answer)) == (unknown.status_code, page(unknown)) == (404, page(unknown))

    def test_an_unauthenticated_call_is_logged_in_one_line_counted_and_never_stored(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        before = metrics.totals()["webhooks_refused"]

        answers = [post(b'{"padding": "' + b"x" * 200_000 + b'"}', secret=None).status_code for _ in range(5)]

        assert answers == [404] * 5
        assert WebhookDelivery.objects.count() == 0
        assert metrics.totals()["webhooks_refused"] == before + 5
        refusals = [r.getMessage() for r in caplog.records if r.name == "salwidgets.webhooks"]
        assert len(refusals) == 5
        assert refusals[0] == (
            "Webhook call refused from 127.0.0.1 (200015 bytes): no or wrong X-Menta-Secret, or an address not allowed"
        )

    def test_a_wrong_secret_and_a_get_are_unknown_urls_too(self) -> None:
        assert post(body("listing.created", LISTING), secret="guess").status_code == 404
        assert Client().get(URL).status_code == 404
        assert WebhookDelivery.objects.count() == 0

    def test_an_address_outside_the_allowlist(self, settings: Any) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "VERIFY_ALLOWED_IPS": ["10.0.0.0/8"]}

        refused = post(body("listing.created", LISTING))
        allowed = post(body("listing.created", LISTING), webhook_id="msg_2", REMOTE_ADDR="10.1.2.3")

        assert (refused.status_code, allowed.status_code) == (404, 200)

    @pytest.mark.parametrize(
        ("signed", "at", "status", "error"),
        [
            ((KEY,), None, 200, ""),
            ((NEW_KEY,), None, 200, ""),  # rotated: the receiver knows both keys
            (("whsec_" + "b3RoZXIta2V5LW5vdC1rbm93bi10by10aGUtc2l0ZSE=", KEY), None, 200, ""),
            (
                ("whsec_" + "b3RoZXIta2V5LW5vdC1rbm93bi10by10aGUtc2l0ZSE=",),
                None,
                404,
                "signature: No matching signature found",
            ),
            # Offsets from the moment the test runs (not from collection, minutes earlier).
            ((KEY,), -timedelta(minutes=6), 404, "signature: Message timestamp too old"),
            ((KEY,), timedelta(minutes=6), 404, "signature: Message timestamp too new"),
            ((), None, 404, "signature: Missing required headers"),
        ],
        ids=["valid", "rotated", "several-signatures", "invalid", "expired", "from-the-future", "unsigned"],
    )
    def test_signatures(
        self,
        settings: Any,
        caplog: pytest.LogCaptureFixture,
        signed: tuple[str, ...],
        at: timedelta | None,
        status: int,
        error: str,
    ) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "WEBHOOK_SIGNING_SECRETS": [KEY, NEW_KEY]}

        answer = post(
            body("listing.created", LISTING), sign_with=signed, at=None if at is None else datetime.now(UTC) + at
        )

        assert answer.status_code == status
        if status == 200:
            assert outcome()[::2] == ("applied", "")
        else:
            assert WebhookDelivery.objects.count() == 0
            assert caplog.records[-1].getMessage().endswith(f": {error}")

    def test_a_signature_over_another_body_is_refused(self, settings: Any) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "WEBHOOK_SIGNING_SECRETS": [KEY]}
        when = datetime.now(UTC)
        signature = Webhook(KEY).sign("msg_1", when, body("listing.created", LISTING).decode())
        tampered = body("listing.created", {**LISTING, "sellerEmail": "mallory@example.com"})

        answer = post(
            tampered,
            HTTP_WEBHOOK_TIMESTAMP=str(int(when.timestamp())),
            HTTP_WEBHOOK_SIGNATURE=signature,
        )

        assert answer.status_code == 404


class TestBodies:
    def test_malformed_json(self) -> None:
        answer = post(b'{"message": ')

        assert (answer.status_code, answer.json()) == (
            400,
            {"status": "rejected", "message": "the body is not valid JSON"},
        )
        assert outcome() == ("rejected", "", "the body is not valid JSON")

    def test_a_missing_field_is_named_and_nothing_is_applied(self, heard: list[tuple[str, Any]]) -> None:
        answer = post(body("listing.created", {k: v for k, v in LISTING.items() if k != "ticketIds"}))

        assert (answer.status_code, answer.json()["message"]) == (400, "missing field 'ticketIds'")
        assert outcome() == ("rejected", "listing.created", "missing field 'ticketIds'")
        assert heard == []

    def test_no_action(self) -> None:
        answer = post(json.dumps({"message": {"data": {}}}).encode())

        assert (answer.status_code, answer.json()["message"]) == (400, "missing field 'action'")

    def test_an_unknown_action_is_acknowledged_and_ignored(self, heard: list[tuple[str, Any]]) -> None:
        answer = post(body("listing.archived", {"listingId": "lst_7"}))

        assert (answer.status_code, answer.json()) == (
            200,
            {"status": "ignored", "message": "action 'listing.archived' is not handled"},
        )
        assert outcome() == ("ignored", "listing.archived", "action 'listing.archived' is not handled")
        assert heard == []

    def test_too_large_a_body(self, settings: Any) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "WEBHOOK_MAX_BYTES": 100}

        answer = post(body("listing.created", LISTING))

        assert (answer.status_code, answer.json()["message"]) == (413, "the body is 262 bytes, over the limit of 100")
        assert outcome() == ("rejected", "", "the body is 262 bytes, over the limit of 100")
        assert WebhookDelivery.objects.get().body == ""

    def test_a_correctly_signed_body_over_the_limit_is_413_not_404(self, settings: Any) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "WEBHOOK_SIGNING_SECRETS": [KEY], "WEBHOOK_MAX_BYTES": 100}

        answer = post(body("listing.created", LISTING), sign_with=(KEY,))

        assert answer.status_code == 413

    def test_json_nested_too_deep_is_a_400(self) -> None:
        deep = b'{"message": ' + b"[" * 5000 + b"]" * 5000 + b"}"

        answer = post(deep)

        assert (answer.status_code, answer.json()["message"]) == (400, "the body's JSON is nested too deep")
        assert outcome() == ("rejected", "", "the body's JSON is nested too deep")

    @pytest.mark.parametrize("raw", [b'{"message": "\x00"}', b'{"message": "\\u0000"}', b"\xff\xfe\x00{"])
    def test_nul_bytes_and_undecodable_bodies_are_stored_safely(self, raw: bytes) -> None:
        answer = post(raw)

        assert answer.status_code == 400
        stored = WebhookDelivery.objects.get()
        assert "\x00" not in stored.body and stored.outcome == "rejected"

    def test_a_nul_in_a_field_does_not_reach_the_database(self, heard: list[tuple[str, Any]]) -> None:
        answer = post(body("listing.created", {**LISTING, "listingId": "lst\u00007"}), webhook_id="msg\x00_1")

        assert answer.status_code == 200
        assert heard[0][1].listing_id == "lst7"
        assert WebhookDelivery.objects.get().webhook_id == "msg_1"


class TestReplays:
    def test_the_same_webhook_id_is_applied_once(self, heard: list[tuple[str, Any]]) -> None:
        first = post(body("listing.created", LISTING))
        again = post(body("listing.created", LISTING))

        assert (first.json(), again.json()) == ({"status": "applied"}, {"status": "duplicate"})
        assert len(heard) == 1
        assert list(WebhookDelivery.objects.values_list("outcome", flat=True)) == ["duplicate", "applied"]

    def test_without_a_webhook_id_the_body_identifies_the_delivery(self, heard: list[tuple[str, Any]]) -> None:
        post(body("listing.created", LISTING), webhook_id=None)
        again = post(body("listing.created", LISTING), webhook_id=None)
        other = post(body("listing.deleted", LISTING), webhook_id=None)

        assert (again.json(), other.json()) == ({"status": "duplicate"}, {"status": "applied"})
        assert len(heard) == 2

    def test_a_failed_delivery_is_applied_when_retried(self) -> None:
        calls: list[int] = []

        def flaky(sender: Any, **kwargs: Any) -> None:
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("database busy")

        signals.event_unlocked.connect(flaky, dispatch_uid="test.flaky")
        try:
            failed = post(body("event.unlock", {"eventId": "evt_1"}))
            retried = post(body("event.unlock", {"eventId": "evt_1"}))
        finally:
            signals.event_unlocked.disconnect(dispatch_uid="test.flaky")

        assert (failed.status_code, retried.status_code) == (500, 200)
        assert list(WebhookDelivery.objects.values_list("outcome", "error")) == [
            ("applied", ""),
            ("failed", "RuntimeError: database busy"),
        ]


class TestCaches:
    def test_a_listing_drops_the_shows_components_in_every_language_and_the_sellers_ctas(self) -> None:
        keys = [cache.show_key(type, "evt_1", "show_1", lang) for type in ("buy", "sell") for lang in ("en", "es")]
        other = cache.show_key("buy", "evt_1", "show_2", "en")
        for key in [*keys, other]:
            cache.put_show(key, None, max_age=None)
        seller = cache.person_key("alice@example.com", "tickets", ["TKT-1"], "en")
        buyer = cache.person_key("bob@example.com", "tickets", ["TKT-9"], "en")

        post(body("listing.created", LISTING))

        assert [cache.get_show(key) for key in keys] == [None] * 4
        assert cache.get_show(other) is not None
        assert cache.person_key("alice@example.com", "tickets", ["TKT-1"], "en") != seller
        assert cache.person_key("bob@example.com", "tickets", ["TKT-9"], "en") == buyer

    def test_a_resale_drops_both_peoples_ctas(self) -> None:
        before = {
            email: cache.person_key(email, "orders", ["O"], "en") for email in ("alice@example.com", "bob@example.com")
        }

        post(body("ticket.updated", RESOLD))  # unknown to the site: refused, caches untouched
        refused = {email: cache.person_key(email, "orders", ["O"], "en") for email in before}
        signals.ticket_resold.disconnect(dispatch_uid="salsite.resale.ticket_resold")
        try:
            post(body("ticket.updated", RESOLD), webhook_id="msg_2")
        finally:
            from salsite import resale

            signals.ticket_resold.connect(resale._on_ticket_resold, dispatch_uid="salsite.resale.ticket_resold")

        assert refused == before
        assert all(cache.person_key(email, "orders", ["O"], "en") != key for email, key in before.items())


# --- any body and headers: a 2xx or a 4xx, never a 500 ----------------------------------------

ACTIONS = st.sampled_from([*wire.WEBHOOK_PARSERS, "listing.archived"])
HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2FF), max_size=40)


class TestAnyInput:
    @given(
        raw=st.binary(max_size=300)
        | st.builds(
            lambda action, data, metadata: json.dumps(
                {"message": {"action": action, "data": data, "metadata": metadata}}
            ).encode(),
            ACTIONS,
            st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=8),
            JSON,
        ),
        webhook_id=st.none() | HEADER_TEXT,
        secret=st.sampled_from([SECRET, None, "guess"]),
    )
    @hypothesis.settings(max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def test_is_answered_2xx_or_4xx(self, raw: bytes, webhook_id: str | None, secret: str | None) -> None:
        answer = post(raw, webhook_id=webhook_id, secret=secret)

        assert 200 <= answer.status_code < 500, answer.content
        if secret != SECRET:
            assert answer.status_code == 404
