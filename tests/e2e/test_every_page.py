"""Every page a person or the staff sees, on a phone and a desktop, in English and Spanish: nothing
scrolls sideways, every control is on screen, and axe-core finds no serious or critical violation."""

from __future__ import annotations

import gettext
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from salsite.models import Ticket
from tests.conftest import SandboxControl, make_client
from tests.e2e.conftest import ARTIFACTS
from tests.test_catalogues import CATALOGUES

pytestmark = pytest.mark.django_db(transaction=True)

SEED_SHOW = "/events/evt_2024_metallica/show_nyc_20240815/"
WIDTHS = {"phone": 390, "desktop": 1280, "narrowest": 320, "widest": 1440}
# Both languages at the two common widths; the extremes once each (Spanish, whose words are longer,
# on the narrowest).
CASES = [("phone", "en"), ("phone", "es"), ("desktop", "en"), ("desktop", "es"), ("narrowest", "es"), ("widest", "en")]
AXE = Axe()
# Page parts wider than the screen on purpose: none.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const page = document.scrollingElement.scrollWidth;
  const outside = [...document.querySelectorAll('a, button, input, select, textarea, [role=dialog]')]
    .filter((node) => node.getClientRects().length && getComputedStyle(node).visibility !== 'hidden')
    .filter((node) => { const box = node.getBoundingClientRect(); return box.right > width + 1 || box.left < -1; })
    .map((node) => node.outerHTML.slice(0, 80));
  return {width, page, outside};
}"""


@dataclass(frozen=True)
class Found:
    page: str
    overflow: int
    outside: list[str]
    serious: list[str]
    english: list[str]

    def fine(self) -> bool:
        return self.overflow == 0 and not self.outside and not self.serious and not self.english


def english_texts() -> list[re.Pattern[str]]:
    """Every English text of the project's catalogues that has a Spanish translation, as a pattern
    that finds it as whole words (a message with placeholders by its longest literal part)."""
    patterns = []
    for path in (path for path in CATALOGUES if path.parts[-3] == "es"):
        with path.open("rb") as handle:
            catalogue = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
        for key, spanish in catalogue.items():
            english = key[0] if isinstance(key, tuple) else key
            if not english or not spanish or english == spanish:
                continue
            part = max(re.split(r"%\(\w+\)[sd]|%[sd]", english), key=len).strip(" ,.:·")
            if len(part) >= 4 and part not in spanish:
                patterns.append(re.compile(rf"(?<!\w){re.escape(part)}(?!\w)"))
    return patterns


ENGLISH = english_texts()


def survey(visitor: Any, name: str, url: str, then: Callable[[Page], Any] | None = None) -> Found:
    page = visitor.page
    page.goto(url)
    page.wait_for_load_state("networkidle")
    if then is not None:
        then(page)
        page.wait_for_load_state("networkidle")
    layout = page.evaluate(OVERFLOW)
    results = AXE.run(page).response
    serious = [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(
            node["target"][0] if isinstance(node["target"][0], str) else str(node["target"])
            for node in violation["nodes"][:3]
        )
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    visitor.screenshot(name)
    english: list[str] = []
    if name.endswith("-es") and not name.startswith("admin-"):
        text = page.evaluate("document.body.innerText")
        english = sorted({match.group(0) for pattern in ENGLISH for match in pattern.finditer(text)})
    return Found(name, max(0, layout["page"] - layout["width"]), layout["outside"], serious, english)


def open_dialog(page: Page) -> None:
    """The "How resale works" dialog, open: it must fit the screen, its Close button too."""
    page.locator("button[data-sal-component=modal]").first.click()
    expect(page.locator("dialog[open]")).to_be_visible()


def preview_show(page: Page) -> None:
    page.locator("#sal-show").select_option("evt_2024_metallica/show_nyc_20240815")
    page.locator(".sal-preview-form button[type=submit]").click()
    page.locator("#sal-panel form button").first.click()  # refresh from menta now
    expect(page.locator(".sal-preview-page [data-sal-component]").first).to_be_visible()


def preview_ctas(page: Page) -> None:
    page.locator("#sal-user").fill("alice@example.com")
    page.locator(".sal-preview-form button[type=submit]").click()
    expect(page.locator("[data-sal-item]").first).to_be_visible()


def window(visitor: Any, width: int) -> Any:
    """A new browser window ``width`` pixels wide (a phone's height below 600)."""
    opened = visitor()
    opened.page.set_viewport_size({"width": width, "height": 844 if width < 600 else 900})
    return opened


def in_language(opened: Any, lang: str, site_url: str) -> None:
    """The site's pages in ``lang`` from now on (after signing in, whose form is read in English)."""
    opened.context.add_cookies([{"name": "django_language", "value": lang, "url": site_url}])


@pytest.mark.parametrize(("size", "lang"), CASES)
def test_every_page_fits_and_passes_axe(
    visitor: Any, site: Any, e2e_sandbox: SandboxControl, size: str, lang: str
) -> None:
    width = WIDTHS[size]
    menta = make_client(e2e_sandbox.url)
    found: list[Found] = []

    guest = window(visitor, width)
    in_language(guest, lang, site.url)
    for name, url in (
        ("listing", "/"),
        ("show", SEED_SHOW),
        ("sign-in", "/accounts/login/"),
        ("sign-up", "/accounts/signup/"),
        ("password-reset", "/accounts/password/reset/"),
    ):
        found.append(survey(guest, f"{name}-{size}-{lang}", url))
    found.append(survey(guest, f"show-dialog-{size}-{lang}", SEED_SHOW, open_dialog))
    buy_page = menta.buying_flow_url("evt_2024_metallica", "show_nyc_20240815", return_to=site.url, lang=lang)
    found.append(survey(guest, f"sandbox-buy-{size}-{lang}", buy_page))

    alice = window(visitor, width)
    alice.sign_in("alice@example.com")
    in_language(alice, lang, site.url)
    for name, url in (("my-tickets", "/my-tickets/"), ("account", "/accounts/profile/")):
        found.append(survey(alice, f"{name}-{size}-{lang}", url))
    sellable = Ticket.objects.get(external_id="TKT-ALICE-001")
    sell_page = menta.selling_flow_url(sellable.external_id, lang=lang)
    token = menta.one_time_token("alice@example.com").token
    found.append(survey(alice, f"sandbox-sell-{size}-{lang}", f"{sell_page}&oneTimeToken={token}"))

    staff = window(visitor, width)
    staff.page.goto("/admin/login/?next=/admin/sal/")  # the admin signs in through the site's sign-in
    staff.page.locator("#id_login").fill("admin@example.com")
    staff.page.locator("#id_password").fill("admin12345")
    staff.page.locator("main button[type=submit]").click()
    staff.page.wait_for_url("**/admin/sal/")
    in_language(staff, lang, site.url)
    found.append(survey(staff, f"admin-preview-{size}-{lang}", "/admin/sal/", preview_show))
    found.append(survey(staff, f"admin-ctas-{size}-{lang}", "/admin/sal/?tab=ctas", preview_ctas))

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"pages-{size}-{lang}.json").write_text(json.dumps([f.__dict__ for f in found], indent=1))
    problems = [f for f in found if not f.fine()]
    assert not problems, "\n".join(
        f"{f.page}: overflow {f.overflow}px; off screen {f.outside}; axe {f.serious}; English {f.english}"
        for f in problems
    )


def test_salwidgets_own_colours_pass_contrast_without_the_site_s_theme(visitor: Any, settings: Any) -> None:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "THEME_STYLESHEETS": []}
    guest = visitor()
    guest.page.goto(SEED_SHOW)
    guest.page.wait_for_load_state("networkidle")
    expect(guest.page.locator('[data-sal-component="button"]')).to_be_visible()
    assert guest.page.locator('link[href*="sal-theme"]').count() == 0
    # salwidgets' own purple, not the site's pink.
    expect(guest.page.locator(".sal-button--primary").first).to_have_css("background-color", "rgb(91, 60, 196)")

    results = AXE.run(guest.page, context={"include": [[".sal"]]}).response

    assert [v["id"] for v in results["violations"] if v["impact"] in ("serious", "critical")] == []
