"""Staff ask for an event's XLSX in a real browser and watch the worker write it."""

from __future__ import annotations

from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_watch_the_xlsx_being_written_and_download_it(visitor: Any) -> None:
    olivia = visitor()
    page = olivia.page
    page.goto("/admin/login/?next=/admin/salsite/event/")
    page.get_by_label("Email").fill("olivia@example.com")
    page.get_by_label("Password").fill("demo12345")
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Metallica: M72 World Tour").click()
    page.get_by_role("link", name="Ticket report (XLSX)").click()
    page.get_by_role("button", name="Prepare a new XLSX").click()

    row = page.locator("#report-exports tbody tr").first
    expect(row.get_by_role("status")).to_have_text("Waiting for the task worker")
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    # The page asks for the row again every second: no reload.
    expect(row).to_have_attribute("data-status", "READY", timeout=10_000)
    expect(row.get_by_role("status")).to_contain_text("Ready: ", timeout=10_000)
    olivia.screenshot("admin-report-export-ready")
    with page.expect_download() as downloading:
        row.get_by_role("link", name="Download the XLSX").click()
    download = downloading.value
    assert download.suggested_filename.startswith("tickets-evt_2024_metallica-")
    with open(download.path(), "rb") as saved:
        book = openpyxl.load_workbook(saved, read_only=True)
        header = next(book.active.iter_rows(values_only=True))
    assert header[0] == "ticketId"
    assert olivia.csp_violations() == []
