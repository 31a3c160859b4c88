"""A person fills in their account page on a phone, in Spanish, and the organizer's report shows it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import expect

from salsite import demo
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)


def test_details_and_consents_reach_the_organizers_report(visitor: Any) -> None:
    carol = visitor()
    page = carol.page
    page.set_viewport_size({"width": 390, "height": 844})
    carol.sign_in("carol@example.com")
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Change").click()
    page.get_by_role("link", name="Cuenta").click()
    page.wait_for_url("**/accounts/profile/")

    page.get_by_label("Teléfono").fill("call me")
    page.get_by_label("País de residencia").select_option("MX")
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_role("alert")).to_have_text("Escribe un número de teléfono: dígitos, espacios, + ( ) y -.")
    expect(page.get_by_label("País de residencia")).to_have_value("MX")  # nothing typed is lost

    page.get_by_label("Teléfono").fill("+52 55 1234 5678")
    page.get_by_label("Fecha de nacimiento").fill("1985-02-28")
    page.get_by_label("Enviadme por email ofertas de los organizadores y sus socios").check()
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_role("status")).to_have_text("Tus datos se han guardado.")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert carol.csp_violations() == []
    carol.screenshot("account-phone-es")

    answer = Client(HTTP_AUTHORIZATION=f"Bearer {demo.DEMO_ORGANIZER_TOKEN}").get(
        "/organizer/report/events/evt_2024_metallica/tickets", {"limit": 100, "offset": 0, "excludeDeleted": "true"}
    )
    rows = [row for row in answer.json()["result"] if row["ownerEmail"] == "carol@example.com"]
    assert rows and all(
        (row["ownerPhone"], row["ownerBirthDate"], row["ownerResidenceCountry"])
        == ("+52 55 1234 5678", "1985-02-28", "MX")
        and (row["ownerAllowPromoEmail"], row["ownerAllowPromoThirdPartyEmail"], row["ownerAllowTracking"])
        == (False, True, False)
        for row in rows
    )
    assert ARTIFACTS.exists()
