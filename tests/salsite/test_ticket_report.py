"""The organizer's ticket ownership report: the endpoint, its access rules and parameters, the
account page whose details it shows, and the admin's CSV and XLSX exports read back row by row."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, datetime, timedelta
from datetime import timezone as fixed_offset
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import hypothesis
import openpyxl
import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from guardian.shortcuts import assign_perm
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from salsite import demo, lifecycle, report
from salsite.models import Event, Organizer, ReportExport, Ticket
from salsite.tasks import write_report_export

pytestmark = pytest.mark.django_db

METALLICA = "/organizer/report/events/evt_2024_metallica/tickets"
HAMILTON = "/organizer/report/events/evt_hamilton/tickets"
TOKEN = {"HTTP_AUTHORIZATION": f"Bearer {demo.DEMO_ORGANIZER_TOKEN}"}


@pytest.fixture
def site(db: None) -> list[Ticket]:
    return demo.create_site_data()


@pytest.fixture
def organizer() -> Client:
    """The demo organizer's systems, with its API token."""
    return Client(**TOKEN)


def signed_in(email: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(email=email))
    return client


def staff(email: str, *, name: str = "Sam Staff") -> User:
    first, last = name.split()
    return User.objects.create_user(email, email, "staff-12345", first_name=first, last_name=last, is_staff=True)


def read(client: Client, url: str = METALLICA, **params: Any) -> dict[str, Any]:
    response = client.get(url, {"limit": 100, "offset": 0, **params})
    assert response.status_code == 200, response.content
    answer: dict[str, Any] = response.json()
    return answer


def by_id(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["ticketId"]: item for item in answer["result"]}


class TestAnswer:
    def test_each_ticket_with_its_owner_in_the_guides_field_names(self, site: list[Ticket], organizer: Client) -> None:
        answer = read(organizer)

        ids = [item["ticketId"] for item in answer["result"]]
        expected = Ticket.objects.filter(show__event__external_id="evt_2024_metallica").order_by("pk")
        assert answer["total"] == len(ids) == expected.count()
        assert ids == [ticket.external_id for ticket in expected]
        alice = by_id(answer)["TKT-ALICE-001"]
        ticket = Ticket.objects.select_related("show", "order").get(external_id="TKT-ALICE-001")
        assert alice == {
            "ticketId": "TKT-ALICE-001",
            "eventId": "evt_2024_metallica",
            "organizerId": "org_live_presents",
            "eventName": "Metallica: M72 World Tour",
            "eventStartDate": ticket.show.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "ownerEmail": "alice@example.com",
            "ownerFirstName": "Alice",
            "ownerLastName": "Martin",
            "ownerPhone": "+34 600 123 456",
            "ownerBirthDate": "1990-04-12",
            "ownerResidenceCountry": "ES",
            "ownerAllowPromoEmail": True,
            "ownerAllowPromoThirdPartyEmail": False,
            "ownerAllowTracking": True,
            "ticketNumber": "TKT-ALICE-001",
            "ticketBarcode": ticket.locator,
            "initialOwnerId": str(ticket.order.user_id),
            "status": "VALID",
            "purchaseDate": ticket.order.created_at.isoformat().replace("+00:00", "Z"),
            "purchasePrice": "99.99",
            "purchaseCurrency": "USD",
            "purchaseSeatCategoryId": "GA",
            "seatingSeated": False,
            "seatingNumbered": False,
            "ticketMetadata": {
                "showId": "show_nyc_20240815",
                "orderReference": "ORD-ALICE-1",
                "ticketOption": "General admission",
            },
            "transferForwardCount": 0,
            "transferBackwardCount": 0,
        }

    def test_fields_without_a_source_are_left_out_and_consent_is_never_assumed(
        self, site: list[Ticket], organizer: Client
    ) -> None:
        carol = next(item for item in read(organizer)["result"] if item["ownerEmail"] == "carol@example.com")

        # carol never opened her account page: no phone, no birth date, no country, no opt-in.
        for field in ("ownerPhone", "ownerBirthDate", "ownerResidenceCountry", "ownerIdNumber", "eventCode"):
            assert field not in carol
        assert (carol["ownerAllowPromoEmail"], carol["ownerAllowPromoThirdPartyEmail"]) == (False, False)
        assert carol["ownerAllowTracking"] is False
        assert (carol["seatingSeated"], carol["seatingArea"], carol["seatingRow"]) == (True, "A", "1")

    def test_a_named_ticket_carries_its_holder(self, site: list[Ticket], organizer: Client) -> None:
        Ticket.objects.filter(external_id="TKT-ALICE-001").update(holder_name="Ana Martin", holder_id_number="X123")

        assert by_id(read(organizer))["TKT-ALICE-001"]["ticketHolder"] == {"name": "Ana Martin", "idNumber": "X123"}


class TestPagination:
    def test_pages_cover_every_ticket_once_in_a_stable_order(self, site: list[Ticket], organizer: Client) -> None:
        everything = [item["ticketId"] for item in read(organizer)["result"]]

        pages = [read(organizer, limit=4, offset=offset) for offset in range(0, len(everything), 4)]
        assert [item["ticketId"] for page in pages for item in page["result"]] == everything
        assert {page["total"] for page in pages} == {len(everything)}
        assert len(pages[-1]["result"]) == len(everything) % 4 or 4

    def test_an_offset_past_the_end_is_an_empty_page_with_the_total(
        self, site: list[Ticket], organizer: Client
    ) -> None:
        total = read(organizer)["total"]

        assert read(organizer, offset=total) == {"total": total, "result": []}
        assert read(organizer, limit=1, offset=total - 1)["result"][0]["ticketId"]
        assert len(read(organizer, limit=report.MAX_LIMIT)["result"]) == total

    @pytest.mark.parametrize(
        ("params", "parameter", "message"),
        [
            ({"offset": 0}, "limit", "limit: This field is required."),
            ({"limit": 10}, "offset", "offset: This field is required."),
            ({"limit": 0, "offset": 0}, "limit", "limit: Ensure this value is greater than or equal to 1."),
            ({"limit": 1001, "offset": 0}, "limit", "limit: Ensure this value is less than or equal to 1000."),
            ({"limit": "ten", "offset": 0}, "limit", "limit: Enter a whole number."),
            ({"limit": 10, "offset": -1}, "offset", "offset: Ensure this value is greater than or equal to 0."),
            (
                {"limit": 10, "offset": "9223372036854775808"},
                "offset",
                "offset: Ensure this value is less than or equal to 1000000000.",
            ),
            ({"limit": 10, "offset": 10**30}, "offset", "offset: Ensure this value is less than or equal to"),
            (
                {"limit": 10, "offset": 0, "lastUpdatedSince": "9999-12-31T23:59:59-12:00"},
                "lastUpdatedSince",
                "lastUpdatedSince: Enter a date-time between the years 1900 and 9000.",
            ),
            (
                {"limit": 10, "offset": 0, "lastUpdatedBefore": "0001-01-01T00:00:00+14:00"},
                "lastUpdatedBefore",
                "lastUpdatedBefore: Enter a date-time between",
            ),
            ({"limit": 10, "offset": 0, "excludeDeleted": "yes"}, "excludeDeleted", "excludeDeleted: Enter true or"),
            ({"limit": 10, "offset": 0, "lastUpdatedSince": "yesterday"}, "lastUpdatedSince", "lastUpdatedSince: "),
            (
                {"limit": 10, "offset": 0, "lastUpdatedSince": "2026-01-02T00:00Z", "lastUpdatedBefore": "2026-01-01"},
                "lastUpdatedBefore",
                "lastUpdatedBefore: lastUpdatedBefore must be later than lastUpdatedSince.",
            ),
            ({"limit": 10, "offset": 0, "lastUpdateSince": "2026-01-01"}, "lastUpdateSince", "lastUpdateSince: not a"),
        ],
    )
    def test_a_bad_parameter_is_a_400_naming_it(
        self, site: list[Ticket], organizer: Client, params: dict[str, Any], parameter: str, message: str
    ) -> None:
        response = organizer.get(METALLICA, params)

        answer = response.json()
        assert response.status_code == 400
        assert list(answer["errors"]) == [parameter]
        assert answer["errors"][parameter][0].startswith(message)
        assert parameter in answer["message"]

    def test_the_mobile_app_id_of_menta_s_guide_is_accepted(self, site: list[Ticket], organizer: Client) -> None:
        assert read(organizer, mobileAppId="app-1")["total"] == read(organizer)["total"]


class TestFilters:
    def test_deleted_tickets_are_in_unless_excluded(self, site: list[Ticket], organizer: Client) -> None:
        admin = Client()
        admin.force_login(User.objects.get(email="admin@example.com"))
        refunded = Ticket.objects.get(external_id="TKT-ALICE-002")
        done = admin.post("/admin/salsite/ticket/", {"action": "refund", "_selected_action": [refunded.pk]})
        assert done.status_code == 302

        everything, kept = read(organizer), read(organizer, excludeDeleted="true")
        row = by_id(everything)["TKT-ALICE-002"]
        refunded.refresh_from_db()
        assert (row["status"], row["deletionReason"]) == ("REFUNDED", "refunded")
        assert row["deletionDate"] == refunded.ended_at.isoformat().replace("+00:00", "Z")  # type: ignore[union-attr]
        assert "ticketBarcode" not in row  # an ended ticket's code opens nothing
        assert kept["total"] == everything["total"] - 1
        assert "TKT-ALICE-002" not in by_id(kept)
        assert by_id(read(organizer, excludeDeleted="false")) == by_id(everything)

    def test_last_updated_since_and_before(self, site: list[Ticket], organizer: Client) -> None:
        now = timezone.now()
        event = Ticket.objects.filter(show__event__external_id="evt_2024_metallica")
        event.update(updated_at=now - timedelta(days=3))
        event.filter(external_id="TKT-ALICE-001").update(updated_at=now - timedelta(days=1))
        event.filter(external_id="TKT-ALICE-002").update(updated_at=now)

        def ids(**params: str) -> set[str]:
            return set(by_id(read(organizer, **params)))

        day_ago = (now - timedelta(days=1)).isoformat()
        assert ids(lastUpdatedSince=day_ago) == {"TKT-ALICE-001", "TKT-ALICE-002"}
        assert ids(lastUpdatedSince=day_ago, lastUpdatedBefore=now.isoformat()) == {"TKT-ALICE-001"}
        assert len(ids(lastUpdatedBefore=day_ago)) == event.count() - 2
        assert ids(lastUpdatedSince=(now + timedelta(seconds=1)).isoformat()) == set()

    def test_an_offset_s_unencoded_plus_is_read_as_plus(self, site: list[Ticket], organizer: Client) -> None:
        Ticket.objects.update(updated_at=timezone.now() - timedelta(days=2))
        Ticket.objects.filter(external_id="TKT-ALICE-001").update(updated_at=timezone.now())
        since = (timezone.now() - timedelta(days=1)).astimezone(timezone.get_fixed_timezone(60))

        # The query string as a person types it: the offset's "+" not percent-encoded.
        typed = organizer.get(f"{METALLICA}?limit=10&offset=0&lastUpdatedSince={since:%Y-%m-%dT%H:%M:%S+01:00}")

        assert typed.status_code == 200, typed.content
        assert [item["ticketId"] for item in typed.json()["result"]] == ["TKT-ALICE-001"]

    def test_a_transfer_and_its_return_are_counted_each_way(self, site: list[Ticket], organizer: Client) -> None:
        alice, bob = User.objects.get(email="alice@example.com"), User.objects.get(email="bob@example.com")
        ticket = Ticket.objects.get(external_id="TKT-ALICE-001")
        before = timezone.now()

        lifecycle.transfer(ticket, bob)
        there = by_id(read(organizer, lastUpdatedSince=before.isoformat()))["TKT-ALICE-001"]
        lifecycle.transfer(ticket, alice)
        back = by_id(read(organizer))["TKT-ALICE-001"]

        assert (there["ownerEmail"], there["previousOwnerId"], there["initialOwnerId"]) == (
            "bob@example.com",
            str(alice.pk),
            str(alice.pk),
        )
        assert (there["transferForwardCount"], there["transferBackwardCount"]) == (1, 0)
        assert (back["ownerEmail"], back["previousOwnerId"]) == ("alice@example.com", str(bob.pk))
        assert (back["transferForwardCount"], back["transferBackwardCount"]) == (1, 1)

    def test_a_check_in_is_dated(self, site: list[Ticket], organizer: Client) -> None:
        ticket = lifecycle.check_in(Ticket.objects.get(external_id="TKT-ALICE-001"))

        checked = by_id(read(organizer))["TKT-ALICE-001"]["checkedDate"]
        assert checked == ticket.checked_in_at.isoformat().replace("+00:00", "Z")  # type: ignore[union-attr]


class TestAccess:
    def test_without_credentials_401_with_the_scheme(self, site: list[Ticket], client: Client) -> None:
        response = client.get(METALLICA, {"limit": 1, "offset": 0})

        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="ticket report"'
        assert "organizer token" in response.json()["message"]

    @pytest.mark.parametrize("header", ["Bearer org_wrong", "Basic YWxpY2U6eA==", "Bearer ", "org_demo_live_presents"])
    def test_a_bad_token_is_401(self, site: list[Ticket], header: str) -> None:
        response = Client(HTTP_AUTHORIZATION=header).get(METALLICA, {"limit": 1, "offset": 0})

        assert response.status_code == 401
        assert response.json()["message"]

    def test_a_token_reads_its_organizer_s_events_only(self, site: list[Ticket], organizer: Client) -> None:
        read(organizer, "/organizer/report/events/evt_rosalia_motomami/tickets")
        other = organizer.get(HAMILTON, {"limit": 1, "offset": 0})

        assert other.status_code == 403
        assert other.json() == {"message": "This organizer token does not give access to this event."}

    def test_a_new_token_replaces_the_old(self, site: list[Ticket], organizer: Client) -> None:
        token = Organizer.objects.get(external_id="org_live_presents").issue_token()

        assert organizer.get(METALLICA, {"limit": 1, "offset": 0}).status_code == 401
        read(Client(HTTP_AUTHORIZATION=f"Bearer {token}"))

    def test_staff_with_the_permission_for_one_event(self, site: list[Ticket]) -> None:
        olivia = signed_in("olivia@example.com")

        assert read(olivia)["total"] > 0
        assert olivia.get(HAMILTON, {"limit": 1, "offset": 0}).status_code == 403

    def test_staff_with_the_permission_for_every_event(self, site: list[Ticket]) -> None:
        everywhere = staff("ray@example.com")
        everywhere.user_permissions.add(Permission.objects.get(codename="view_ticket_report"))

        read(signed_in("ray@example.com"), HAMILTON)
        read(signed_in("admin@example.com"), HAMILTON)  # a superuser

    def test_anyone_else_403(self, site: list[Ticket]) -> None:
        staff("sam@example.com")
        outsider = User.objects.create_user("nina@example.com", "nina@example.com", "x")
        assign_perm(report.PERMISSION, outsider, Event.objects.get(external_id="evt_hamilton"))  # not staff

        for email in ("alice@example.com", "sam@example.com", "nina@example.com"):
            response = signed_in(email).get(HAMILTON, {"limit": 1, "offset": 0})
            assert response.status_code == 403, email
            assert response.json() == {"message": "Your account may not read the ticket report of this event."}

    def test_an_unknown_event_is_404(self, site: list[Ticket], organizer: Client) -> None:
        response = organizer.get("/organizer/report/events/evt_nope/tickets", {"limit": 1, "offset": 0})

        assert response.status_code == 404
        assert response.json() == {"message": "No event 'evt_nope' on this platform."}

    def test_only_get(self, site: list[Ticket], organizer: Client) -> None:
        assert organizer.post(f"{METALLICA}?limit=1&offset=0").status_code == 405


def form(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


class TestAccountPage:
    def test_needs_sign_in(self, site: list[Ticket], client: Client) -> None:
        response = client.get("/accounts/profile/")

        assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/accounts/profile/")

    def test_shows_what_is_stored(self, site: list[Ticket]) -> None:
        html = form(signed_in("alice@example.com").get("/accounts/profile/"))

        assert html.select_one("#id_phone")["value"] == "+34 600 123 456"  # type: ignore[index]
        assert html.select_one("#id_birth_date")["value"] == "1990-04-12"  # type: ignore[index]
        assert html.select_one("#id_residence_country option[selected]")["value"] == "ES"  # type: ignore[index]
        assert html.select_one("#id_allow_promo_email").has_attr("checked")  # type: ignore[union-attr]
        assert not html.select_one("#id_allow_promo_third_party_email").has_attr("checked")  # type: ignore[union-attr]
        assert html.select_one('a[href="/accounts/profile/"]')

    def test_saved_details_are_in_the_report_exactly_as_typed(self, site: list[Ticket], organizer: Client) -> None:
        carol = signed_in("carol@example.com")
        before = timezone.now()

        saved = carol.post(
            "/accounts/profile/",
            {
                "first_name": "Carolina",
                "last_name": "Ruiz Díaz",
                "phone": "(212) 555-0100",
                "birth_date": "1985-02-28",
                "residence_country": "MX",
                "allow_promo_third_party_email": "on",
            },
        )

        assert (saved.status_code, saved["Location"]) == (302, "/accounts/profile/")
        changed = read(organizer, lastUpdatedSince=before.isoformat())["result"]
        carols = Ticket.objects.filter(holder__email="carol@example.com", show__event__external_id="evt_2024_metallica")
        assert {item["ticketId"] for item in changed} == {ticket.external_id for ticket in carols}
        row = changed[0]
        assert (row["ownerFirstName"], row["ownerLastName"], row["ownerPhone"]) == (
            "Carolina",
            "Ruiz Díaz",
            "(212) 555-0100",
        )
        assert (row["ownerBirthDate"], row["ownerResidenceCountry"]) == ("1985-02-28", "MX")
        assert [row[f] for f in ("ownerAllowPromoEmail", "ownerAllowPromoThirdPartyEmail", "ownerAllowTracking")] == [
            False,
            True,
            False,
        ]
        assert "Your account details are saved." in carol.get("/accounts/profile/").content.decode()

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("phone", "call me maybe", "Enter a phone number: digits, spaces, + ( ) and -."),
            ("birth_date", "2999-01-01", "A birth date cannot be in the future."),
            ("birth_date", "31/31/1990", "Enter a valid date."),
            ("residence_country", "XX", "Select a valid choice. XX is not one of the available choices."),
        ],
    )
    def test_a_bad_value_is_refused_next_to_its_field_and_nothing_is_saved(
        self, site: list[Ticket], field: str, value: str, message: str
    ) -> None:
        alice = signed_in("alice@example.com")

        response = alice.post("/accounts/profile/", {"first_name": "Al", "last_name": "M", field: value})

        assert response.status_code == 400
        assert form(response).select_one(f"#id_{field}-error").get_text() == message  # type: ignore[union-attr]
        assert User.objects.get(email="alice@example.com").first_name == "Alice"

    def test_in_spanish(self, site: list[Ticket]) -> None:
        alice = signed_in("alice@example.com")
        alice.cookies["django_language"] = "es"

        html = form(alice.get("/accounts/profile/"))

        assert html.h1.get_text() == "Tu cuenta"  # type: ignore[union-attr]
        assert html.select_one('label[for="id_birth_date"]').get_text().startswith("Fecha de nacimiento")  # type: ignore[union-attr]
        assert html.select_one('#id_residence_country option[value="ES"]').get_text() == "España"  # type: ignore[union-attr]


def export(client: Client, event: str, kind: str) -> Any:
    pk = Event.objects.get(external_id=event).pk
    return client.get(f"/admin/salsite/event/{pk}/report.{kind}")


def exports_page(event: str) -> str:
    return f"/admin/salsite/event/{Event.objects.get(external_id=event).pk}/exports/"


def run_the_worker() -> None:
    """`manage.py db_worker` runs the tasks queued so far (in this process, on this database: the
    test must commit, as the site does, so ``django_db(transaction=True)``)."""
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def xlsx(client: Client, event: str, **form: str) -> Any:
    """Ask for an XLSX as staff do (the exports page's button), let the worker write it, download it."""
    asked = client.post(exports_page(event), form)
    assert asked.status_code == 302 and asked["Location"] == exports_page(event)
    run_the_worker()
    page = BeautifulSoup(client.get(exports_page(event)).content, "html.parser")
    link = page.select_one("#report-exports tbody tr a[download]")
    assert link is not None, page.select_one("#report-exports")
    return client.get(link["href"])


def content(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def as_text(value: Any) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return "" if value is None else str(value)


class TestExports:
    def expected(self, organizer: Client) -> list[list[str]]:
        rows = read(organizer, limit=report.MAX_LIMIT)["result"]
        return [[as_text(item.get(column)) for column in report.COLUMNS] for item in rows]

    def test_csv_row_by_row(self, site: list[Ticket], organizer: Client) -> None:
        response = export(signed_in("olivia@example.com"), "evt_2024_metallica", "csv")

        assert response.status_code == 200 and response.streaming
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith('attachment; filename="tickets-evt_2024_metallica-')
        lines = list(csv.reader(io.StringIO(content(response).decode())))
        assert lines[0] == list(report.COLUMNS)
        phone = report.COLUMNS.index("ownerPhone")  # quoted when it starts like a formula ("+34 ...")
        assert not any(line[phone].startswith(("=", "+", "-", "@")) for line in lines[1:])
        unquoted = [[v.removeprefix("'") if i == phone else v for i, v in enumerate(line)] for line in lines[1:]]
        assert unquoted == self.expected(organizer)

    @pytest.mark.django_db(transaction=True)
    def test_xlsx_row_by_row(self, site: list[Ticket], organizer: Client) -> None:
        response = xlsx(signed_in("olivia@example.com"), "evt_2024_metallica")

        assert response.status_code == 200 and response.streaming
        assert response["Content-Type"] == report.XLSX_TYPE
        assert response["Content-Disposition"].startswith('attachment; filename="tickets-evt_2024_metallica-')
        assert response["Content-Disposition"].endswith('.xlsx"')
        book = openpyxl.load_workbook(io.BytesIO(content(response)), read_only=True)
        sheet = book.active
        assert sheet.title == "Metallica M72 World Tour"
        cells = [["" if v is None else v for v in line] for line in sheet.iter_rows(values_only=True)]
        assert cells[0] == list(report.COLUMNS)
        assert [[as_text(v) for v in line] for line in cells[1:]] == self.expected(organizer)

    @pytest.mark.django_db(transaction=True)
    def test_text_a_spreadsheet_would_run_is_not_a_formula(self, site: list[Ticket], organizer: Client) -> None:
        User.objects.filter(email="alice@example.com").update(first_name='=HYPERLINK("http://x")')
        Ticket.objects.filter(external_id="TKT-ALICE-001").update(locator="-starts-with-a-dash")
        olivia = signed_in("olivia@example.com")

        lines = list(csv.reader(io.StringIO(content(export(olivia, "evt_2024_metallica", "csv")).decode())))
        book = openpyxl.load_workbook(io.BytesIO(content(xlsx(olivia, "evt_2024_metallica"))))
        first = report.COLUMNS.index("ownerFirstName")
        phone = report.COLUMNS.index("ownerPhone")
        alice = next(line for line in lines if line[0] == "TKT-ALICE-001")
        assert alice[first] == '\'=HYPERLINK("http://x")'
        assert alice[phone] == "'+34 600 123 456"  # a spreadsheet would read it as a sum
        assert alice[report.COLUMNS.index("ticketBarcode")] == "-starts-with-a-dash"  # made here, not typed
        cell = next(r for r in book.active.iter_rows() if r[0].value == "TKT-ALICE-001")[first]
        assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x")', "s")

    def test_only_for_staff_who_may_read_the_report(self, site: list[Ticket]) -> None:
        olivia = signed_in("olivia@example.com")

        assert export(olivia, "evt_hamilton", "csv").status_code == 404
        assert export(olivia, "evt_2024_metallica", "pdf").status_code == 404
        refused = export(Client(), "evt_2024_metallica", "csv")
        assert refused.status_code == 302 and refused["Location"].startswith("/admin/login/")
        listing = olivia.get("/admin/salsite/event/")
        assert listing.status_code == 200
        titles = [a.get_text() for a in BeautifulSoup(listing.content, "html.parser").select("#result_list tbody th a")]
        assert titles == ["Metallica: M72 World Tour"]
        page = olivia.get(f"/admin/salsite/event/{Event.objects.get(external_id='evt_2024_metallica').pk}/change/")
        assert "Ticket report (CSV)" in page.content.decode() and "Ticket report (XLSX)" in page.content.decode()
        assert "Object permissions" not in page.content.decode()  # giving access is not hers


def export_rows(client: Client, event: str) -> list[Any]:
    page = BeautifulSoup(client.get(exports_page(event)).content, "html.parser")
    return page.select("#report-exports tbody tr")


def state(row: Any) -> str:
    return str(row.select_one("[role=status]").get_text(" ", strip=True))


@pytest.mark.django_db(transaction=True)
class TestXlsxInTheBackground:
    """The XLSX is written by the task worker; staff watch its progress and download it."""

    def test_the_old_address_and_the_event_page_lead_to_the_exports_page(self, site: list[Ticket]) -> None:
        olivia = signed_in("olivia@example.com")
        page = exports_page("evt_2024_metallica")

        assert export(olivia, "evt_2024_metallica", "xlsx")["Location"] == page
        pk = Event.objects.get(external_id="evt_2024_metallica").pk
        change = BeautifulSoup(olivia.get(f"/admin/salsite/event/{pk}/change/").content, "html.parser")
        assert change.find("a", string="Ticket report (XLSX)")["href"] == page  # type: ignore[index]
        assert export_rows(olivia, "evt_2024_metallica") == []
        form = BeautifulSoup(olivia.get(page + "?excludeDeleted=true").content, "html.parser").select_one(
            "form.report-exports__new"
        )
        assert form.select_one("input[name=excludeDeleted]").has_attr("checked")  # type: ignore[union-attr]

    def test_queued_then_ready_with_the_valid_tickets_alone_when_asked(self, site: list[Ticket]) -> None:
        olivia = signed_in("olivia@example.com")
        olivia.post(exports_page("evt_2024_metallica"), {"excludeDeleted": "true"})

        (queued,) = export_rows(olivia, "evt_2024_metallica")
        assert queued["data-status"] == "QUEUED" and state(queued) == "Waiting for the task worker"
        assert queued["hx-trigger"] == "every 1s" and queued["hx-get"].endswith(f"/exports/{queued['id'][7:]}/")
        assert queued.select_one("a[download]") is None
        run_the_worker()

        (ready,) = export_rows(olivia, "evt_2024_metallica")
        valid = Ticket.objects.filter(show__event__external_id="evt_2024_metallica", status=Ticket.Status.VALID)
        assert state(ready) == f"Ready: {valid.count()} tickets" and not ready.has_attr("hx-get")
        assert ready.select_one("progress")["value"] == "100"  # type: ignore[index]
        book = openpyxl.load_workbook(io.BytesIO(content(olivia.get(ready.select_one("a[download]")["href"]))))  # type: ignore[index]
        assert sorted(r[0].value for r in book.active.iter_rows(min_row=2)) == sorted(t.external_id for t in valid)

    def test_the_row_staff_watch_follows_the_worker(self, site: list[Ticket]) -> None:
        olivia = signed_in("olivia@example.com")
        metallica = Event.objects.get(external_id="evt_2024_metallica")
        writing = ReportExport.objects.create(
            event=metallica, status=ReportExport.Status.RUNNING, written=2000, total=5000
        )
        lost = ReportExport.objects.create(
            event=metallica,
            status=ReportExport.Status.RUNNING,
            written=4000,
            total=5000,
            updated_at=timezone.now() - report.STALLED_AFTER - timedelta(seconds=1),
        )
        url = f"{exports_page('evt_2024_metallica')}{writing.pk}/"

        row = BeautifulSoup(olivia.get(url).content, "html.parser").tr
        assert state(row) == "Writing: 2000 of 5000 tickets (40%)"
        assert row.select_one("progress")["value"] == "40" and row["hx-get"] == url  # type: ignore[index, union-attr]
        stopped = BeautifulSoup(olivia.get(f"{exports_page('evt_2024_metallica')}{lost.pk}/").content, "html.parser").tr
        assert state(stopped).startswith("Stopped: the worker stopped before finishing it")
        assert not stopped.has_attr("hx-get")  # type: ignore[union-attr]

    def test_a_storage_that_refuses_the_file_gives_a_failed_export_and_a_message(
        self, site: list[Ticket], request: pytest.FixtureRequest
    ) -> None:
        storage = ReportExport._meta.get_field("file").storage  # type: ignore[attr-defined]
        blocked = Path(storage.path("ticket-reports/evt_2024_metallica"))
        shutil.rmtree(blocked, ignore_errors=True)
        blocked.parent.mkdir(parents=True, exist_ok=True)
        blocked.write_text("a file where the event's directory should be")
        request.addfinalizer(blocked.unlink)
        olivia = signed_in("olivia@example.com")
        olivia.post(exports_page("evt_2024_metallica"))
        run_the_worker()

        (failed,) = export_rows(olivia, "evt_2024_metallica")
        assert failed["data-status"] == "FAILED" and state(failed).startswith("Failed: ")
        assert "evt_2024_metallica" in state(failed) and failed.select_one("a[download]") is None
        assert olivia.get(f"{exports_page('evt_2024_metallica')}{failed['id'][7:]}/download").status_code == 404

    def test_a_task_run_twice_writes_the_file_once(self, site: list[Ticket]) -> None:
        olivia = signed_in("olivia@example.com")
        olivia.post(exports_page("evt_2024_metallica"))
        run_the_worker()
        done = ReportExport.objects.get()

        assert write_report_export.call(done.pk) == ReportExport.Status.READY
        assert ReportExport.objects.get().file.name == done.file.name
        assert ReportExport.objects.get().finished_at == done.finished_at

    def test_only_staff_who_may_read_the_report_see_or_download_exports(self, site: list[Ticket]) -> None:
        olivia = signed_in("olivia@example.com")
        olivia.post(exports_page("evt_2024_metallica"))
        run_the_worker()
        done = ReportExport.objects.get()
        row = f"{exports_page('evt_2024_metallica')}{done.pk}/"
        staff("sam@example.com")
        sam = signed_in("sam@example.com")

        for url in (exports_page("evt_2024_metallica"), row, row + "download"):
            assert sam.get(url).status_code in (403, 404)
            refused = Client().get(url)
            assert refused.status_code == 302 and refused["Location"].startswith("/admin/login/")
        assert sam.post(exports_page("evt_2024_metallica")).status_code in (403, 404)
        assert ReportExport.objects.count() == 1
        # Another event's address does not reach this export, nor does an id that is not one.
        hamilton = exports_page("evt_hamilton")
        assert signed_in("admin@example.com").get(f"{hamilton}{done.pk}/download").status_code == 404
        assert olivia.get(f"{exports_page('evt_2024_metallica')}999999/").status_code == 404

    def test_exports_older_than_a_week_go_with_their_files(self, site: list[Ticket]) -> None:
        olivia = signed_in("olivia@example.com")
        olivia.post(exports_page("evt_2024_metallica"))
        run_the_worker()
        old = ReportExport.objects.get()
        ReportExport.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - report.KEEP_EXPORTS - timedelta(hours=1)
        )
        assert old.file.storage.exists(old.file.name)

        olivia.post(exports_page("evt_2024_metallica"))

        assert list(ReportExport.objects.values_list("status", flat=True)) == [ReportExport.Status.QUEUED]
        assert not old.file.storage.exists(old.file.name)


class TestGivingAccess:
    def test_the_event_s_object_permissions_page_gives_one_staff_account_its_report(self, site: list[Ticket]) -> None:
        admin = signed_in("admin@example.com")
        hamilton = Event.objects.get(external_id="evt_hamilton")
        staff("sam@example.com")
        page = f"/admin/salsite/event/{hamilton.pk}/permissions/"

        assert "Object permissions" in admin.get(f"/admin/salsite/event/{hamilton.pk}/change/").content.decode()
        found = admin.post(page, {"user": "sam@example.com", "submit_manage_user": "1"})
        assert found.status_code == 302
        granted = admin.post(found["Location"], {"permissions": ["view_ticket_report"]})

        assert granted.status_code == 302
        read(signed_in("sam@example.com"), HAMILTON)
        assert signed_in("sam@example.com").get(METALLICA, {"limit": 1, "offset": 0}).status_code == 403

    def test_an_organizer_s_new_token_is_shown_once_in_the_admin(self, site: list[Ticket]) -> None:
        admin = signed_in("admin@example.com")
        broadway = Organizer.objects.get(external_id="org_broadway_house")

        done = admin.post(
            "/admin/salsite/organizer/", {"action": "issue_token", "_selected_action": [broadway.pk]}, follow=True
        )

        message = next(m for m in done.context["messages"] if "New API token" in str(m))
        token = str(message).rsplit(": ", 1)[1]
        read(Client(HTTP_AUTHORIZATION=f"Bearer {token}"), HAMILTON)
        broadway.refresh_from_db()
        assert token not in broadway.token_digest and len(broadway.token_digest) == 64


def test_staff_editing_a_person_s_details_update_their_rows(site: list[Ticket], organizer: Client) -> None:
    admin = signed_in("admin@example.com")
    bob = User.objects.get(email="bob@example.com")
    page = admin.get(f"/admin/auth/user/{bob.pk}/change/")
    fields = {
        field["name"]: field.get("value", "")
        for field in form(page).select("#user_form input[name]")
        if field.get("type") not in ("checkbox", "submit")
    }
    fields.update(
        {
            "profile-0-phone": "+1 212 555 0100",
            "profile-0-residence_country": "CA",
            "profile-0-allow_tracking": "on",
            "is_active": "on",
            "date_joined_0": bob.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": bob.date_joined.strftime("%H:%M:%S"),
        }
    )
    before = timezone.now()

    saved = admin.post(f"/admin/auth/user/{bob.pk}/change/", fields)

    assert saved.status_code == 302, form(saved).select(".errorlist")
    rows = read(organizer, lastUpdatedSince=before.isoformat())["result"]
    assert rows and {(r["ownerEmail"], r["ownerPhone"], r["ownerResidenceCountry"]) for r in rows} == {
        ("bob@example.com", "+1 212 555 0100", "CA")
    }
    assert all(r["ownerAllowTracking"] for r in rows)


PARAMETERS = ["limit", "offset", "excludeDeleted", "lastUpdatedSince", "lastUpdatedBefore", "mobileAppId"]
OFFSETS = st.sampled_from([UTC, fixed_offset(timedelta(hours=-12)), fixed_offset(timedelta(hours=14))])
VALUES = (
    st.integers(min_value=-(10**30), max_value=10**30).map(str)
    | st.sampled_from(["true", "false", "", "9223372036854775808", "1e5", "NaN", "\uff12"])
    | st.datetimes(timezones=OFFSETS).map(datetime.isoformat)
    | st.sampled_from(["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "2026-01-01 00:00 +01:00"])
    | st.text(max_size=30)
)


@given(query=st.lists(st.tuples(st.sampled_from(PARAMETERS) | st.text(max_size=10), VALUES), max_size=6))
@hypothesis.settings(max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_any_query_string_is_answered_200_or_400(site: list[Ticket], organizer: Client, query: list[Any]) -> None:
    response = organizer.get(f"{METALLICA}?{urlencode(query)}")

    assert response.status_code in (200, 400), response.content


# What people type: any text a database stores (PostgreSQL refuses NUL), formulas and quotes included.
TYPED = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=20) | st.sampled_from(
    ["=1+1", "+34 600", "-3", "@x", '"quoted", with a comma', "line\r\nbreak", "\t"]
)


@given(first=TYPED, last=TYPED, holder=TYPED, id_number=TYPED)
@hypothesis.settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_the_csv_says_what_the_json_report_says_whatever_people_type(
    site: list[Ticket], organizer: Client, first: str, last: str, holder: str, id_number: str
) -> None:
    User.objects.filter(email="alice@example.com").update(first_name=first[:150], last_name=last[:150])
    Ticket.objects.filter(external_id="TKT-ALICE-001").update(holder_name=holder, holder_id_number=id_number)
    expected = {row["ticketId"]: row for row in read(organizer, limit=report.MAX_LIMIT)["result"]}

    lines = list(
        csv.reader(io.StringIO(content(export(signed_in("olivia@example.com"), "evt_2024_metallica", "csv")).decode()))
    )

    typed = {
        report.COLUMNS.index(name)
        for name in ("eventName", "ownerEmail", "ownerFirstName", "ownerLastName", "ownerPhone")
    }
    for line in lines[1:]:
        row = expected[line[0]]
        wanted = [as_text(row.get(column)) for column in report.COLUMNS]
        for index in typed:
            if wanted[index].startswith(("=", "+", "-", "@", "\t", "\r")):
                wanted[index] = "'" + wanted[index]
        assert line == wanted


CELL = st.none() | st.integers(min_value=0, max_value=10**6) | TYPED | st.sampled_from(["a,b", 'say "hi"', "x\ny", ""])


@given(cells=st.lists(CELL, min_size=len(report.COLUMNS), max_size=len(report.COLUMNS)))
@hypothesis.settings(max_examples=300, deadline=None, database=None)
@hypothesis.example(cells=[None] * 30 + [0] + [None] * 4)  # a number where a JSON object goes
def test_a_csv_line_is_the_one_the_csv_writer_writes(cells: list[Any]) -> None:
    written = io.StringIO()
    csv.writer(written).writerow(cells)

    line = report.csv_line(cells)

    assert line is None or line == written.getvalue()


def test_a_row_of_ids_dates_and_names_is_written_without_the_csv_writer() -> None:
    cells: list[Any] = ["x"] * len(report.COLUMNS)
    cells[report.COLUMNS.index("ticketMetadata")] = '{"showId":"s,1"}'
    assert report.csv_line(cells) is not None
    cells[report.COLUMNS.index("ownerLastName")] = "O'Brien, Jr."
    assert report.csv_line(cells) is None
