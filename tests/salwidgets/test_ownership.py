"""The ownership endpoint menta calls (contract 7): access, validation, the answer, its cost."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.checks import run_checks
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given
from schemathesis import GenerationMode, checks

from salsite.models import Event, Order, Show, Ticket, TicketOption
from tests.conftest import SandboxControl

SECRET = "test-verify-secret"


@pytest.fixture(autouse=True)
def configured(settings: Any) -> None:
    settings.SALWIDGETS = {"VERIFY_SECRET": SECRET, "OWNED_TICKETS": "salsite.ownership.owned_tickets"}


def ask(user: str | None = "alice@example.com", secret: str | None = SECRET, **extra: Any) -> Any:
    headers = {"HTTP_X_MENTA_SECRET": secret} if secret is not None else {}
    return Client().get("/menta/tickets", {"user": user} if user is not None else {}, **headers, **extra)


@pytest.mark.django_db
class TestAccess:
    @pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x"])
    def test_no_or_wrong_secret_is_401(self, secret: str | None) -> None:
        response = ask(secret=secret)

        assert (response.status_code, response.json()) == (401, {"message": "unauthorized"})

    def test_without_a_configured_secret_everything_is_refused(self, settings: Any) -> None:
        settings.SALWIDGETS = {"VERIFY_SECRET": ""}

        assert ask(secret="").status_code == 401

    def test_address_allowlist(self, settings: Any) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "VERIFY_ALLOWED_IPS": ["203.0.113.0/24", "2001:db8::/32"]}

        assert ask(REMOTE_ADDR="203.0.113.9").status_code == 200
        assert ask(REMOTE_ADDR="2001:db8::1").status_code == 200
        refused = ask(REMOTE_ADDR="198.51.100.1")
        # The same answer as a wrong secret: a caller learns nothing of which check failed.
        assert (refused.status_code, refused.json()) == (401, {"message": "unauthorized"})
        wrong_both = ask(secret="guess", REMOTE_ADDR="198.51.100.1")
        assert (wrong_both.status_code, wrong_both.json()) == (401, {"message": "unauthorized"})

    def test_forwarded_for_counts_only_from_a_trusted_proxy(self, settings: Any) -> None:
        settings.SALWIDGETS = {**settings.SALWIDGETS, "VERIFY_ALLOWED_IPS": ["203.0.113.0/24"]}
        forwarded = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "203.0.113.9, 10.0.0.4"}

        assert ask(**forwarded).status_code == 401
        settings.SALWIDGETS = {**settings.SALWIDGETS, "VERIFY_TRUSTED_PROXIES": ["10.0.0.0/8"]}
        assert ask(**forwarded).status_code == 200
        assert ask(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9").status_code == 200
        assert ask(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.1").status_code == 401

    def test_only_get(self) -> None:
        response = Client().post("/menta/tickets?user=a@example.com", HTTP_X_MENTA_SECRET=SECRET)

        assert (response.status_code, response["Allow"]) == (405, "GET")


@pytest.mark.django_db
class TestValidation:
    @pytest.mark.parametrize(
        ("user", "message"),
        [(None, "user is required"), ("", "user is required"), ("alice", "user must be an email address")],
    )
    def test_bad_user(self, user: str | None, message: str) -> None:
        response = ask(user=user)

        assert (response.status_code, response.json()) == (400, {"message": message})

    def test_unknown_person_looks_like_a_person_without_tickets(self) -> None:
        response = ask(user="nobody@example.com")

        assert (response.status_code, response.json()) == (200, {"userEmail": "nobody@example.com", "tickets": []})
        assert response["Cache-Control"] == "no-store"


class TestAnswer:
    def test_alice_against_the_seed_data(self, demo: SandboxControl) -> None:
        answer = ask(user="Alice@Example.com").json()

        assert answer["userEmail"] == "Alice@Example.com"
        assert [t["ticketId"] for t in answer["tickets"]] == [
            "TKT-ALICE-001",
            "TKT-ALICE-002",
            "TKT-ALICE-003",
            "TKT-ALICE-005",
            "TKT-ALICE-006",
        ]  # 004 refunded and 007 transferred are left out
        assert answer["tickets"][0] == {
            "ticketId": "TKT-ALICE-001",
            "externalReferenceEventId": "evt_2024_metallica",
            "showId": "show_nyc_20240815",
            "ticketOptionId": "GA",
            "price": 99.99,
            "currency": "USD",
            "status": "VALID",
            "tags": ["source:online", "order:ORD-ALICE-1", "category:ga"],
        }
        assert all(":" in tag for ticket in answer["tickets"] for tag in ticket["tags"])

    @pytest.mark.django_db
    def test_500_tickets_in_a_constant_number_of_queries(self, django_assert_num_queries: Any) -> None:
        owner = User.objects.create_user("many@example.com", "many@example.com", "pw")
        event = Event.objects.create(external_id="e", title="E", description="", venue="V", city="C")
        show = Show.objects.create(event=event, external_id="s", starts_at="2030-01-01T20:00:00Z")
        option = TicketOption.objects.create(event=event, external_id="GA", name="GA", price=Decimal("10"))
        orders = [Order.objects.create(reference=f"O{n}", user=owner) for n in range(50)]
        Ticket.objects.bulk_create(
            Ticket(external_id=f"T{n}", order=orders[n % 50], holder=owner, show=show, option=option, section="A")
            for n in range(500)
        )

        with django_assert_num_queries(1):
            response = ask(user="many@example.com")

        assert len(response.json()["tickets"]) == 500


@pytest.mark.django_db
class TestChecks:
    def test_a_missing_secret_warns(self, settings: Any) -> None:
        settings.SALWIDGETS = {}

        assert "salwidgets.W001" in [message.id for message in run_checks()]

    def test_a_bad_cidr_is_an_error(self, settings: Any) -> None:
        settings.SALWIDGETS = {"VERIFY_SECRET": "x", "VERIFY_ALLOWED_IPS": ["10.0.0.0/33"]}

        (error,) = [m for m in run_checks() if m.id == "salwidgets.E001"]
        assert error.msg == "SALWIDGETS['VERIFY_ALLOWED_IPS']: '10.0.0.0/33' is not an IP address or CIDR."


# No 5xx, and every answer (status, content type, headers, body) as the description says. Extra query
# parameters are ignored on purpose (menta may add some), so the description stays open to them.
CONFORMANCE = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.ignored_auth,
]


@pytest.fixture
def connection_kept() -> Iterator[None]:
    """The test's transaction outlives each request, as under Django's test client (which does the
    same): the WSGI handler would otherwise close the connection when a request ends."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.usefixtures("connection_kept")
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_openapi_description_holds(mode: GenerationMode) -> None:
    """schemathesis against the served description: no 5xx, and every answer as described."""
    schema = schemathesis.openapi.from_wsgi("/menta/openapi.json", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert [operation.label for operation in operations] == ["GET /menta/tickets"]

    @given(case=operations[0].as_strategy(mode))
    @hypothesis.settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def holds(case: Any) -> None:
        case.call_and_validate(headers={"X-Menta-Secret": SECRET}, checks=CONFORMANCE)

    holds()
