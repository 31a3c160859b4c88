"""What people are told at each step of the resale loop, through the webhook receiver and a real
SMTP server: each email once, in the person's language, with the link that matters; payouts; the
show's alerts and their unsubscribe link; a show's unlock."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta
from decimal import Decimal
from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from salsite import emails
from salsite.models import Email, Payout, Profile, ResaleAlert, Show, Ticket
from salwidgets import webhooks
from salwidgets.models import WebhookDelivery
from tests.conftest import SandboxControl, post_notice
from tests.support.smtp import Mailbox, html_of, text_of, to_whom

pytestmark = pytest.mark.django_db

SECRET = "notices-test-secret"
TICKET = "TKT-ALICE-001"
EVENT, SHOW = "evt_2024_metallica", "show_nyc_20240815"


@pytest.fixture(autouse=True)
def receiver(settings: Any, demo: SandboxControl, mailbox: Mailbox) -> Mailbox:
    settings.SALWIDGETS = {**settings.SALWIDGETS, "VERIFY_SECRET": SECRET, "WEBHOOK_SIGNING_SECRETS": []}
    settings.SITE_URL = "https://tickets.example"
    Email.objects.all().delete()  # what seeding the demo queued (carol's listings)
    return mailbox


def notice(webhook_id: str, action: str, data: dict[str, Any], **extra: Any) -> Any:
    return post_notice(SECRET, webhook_id, {"family": action.split(".")[0], "action": action, "data": data, **extra})


def listing(
    webhook_id: str, action: str, listing_id: str = "lst_7", price: Any = "101.50", currency: str = "USD", **data: Any
) -> Any:
    body = {
        "listingId": listing_id,
        "ticketIds": [TICKET],
        "eventId": EVENT,
        "showId": SHOW,
        "sellerEmail": "alice@example.com",
        "price": price if isinstance(price, dict) else {"amount": price, "currency": currency},
        "status": "ACTIVE",
        **data,
    }
    return notice(webhook_id, action, body, type="SINGLE")


def resold(webhook_id: str, buyer: str = "bob@example.com") -> Any:
    data = {"id": TICKET, "newOwnerEmail": buyer, "oldOwnerEmail": "alice@example.com"}
    return notice(webhook_id, "ticket.updated", data)


def sent() -> dict[str, int]:
    """What the task worker's run would send now."""
    return emails.send_due()


def signed_in(email: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(email=email))
    return client


def test_a_resale_tells_the_seller_the_price_and_the_buyer_where_the_ticket_is(mailbox: Mailbox) -> None:
    assert listing("m1", "listing.created").status_code == 200
    assert resold("m2").status_code == 200

    assert sent() == {"sent": 3, "retrying": 0, "failed": 0}  # listed, sold, your ticket
    listed, sold = to_whom(mailbox, "alice@example.com")
    assert listed["Subject"] == "[Boxoffice] Your ticket for Metallica: M72 World Tour is listed for resale"
    assert "It is for sale at $101.50." in text_of(listed)
    assert sold["Subject"] == "[Boxoffice] Your ticket for Metallica: M72 World Tour sold"
    assert "It sold on resale for $101.50." in text_of(sold)
    assert "menta pays you once you have added your payout details" in text_of(sold)
    new = Ticket.objects.get(reissued_from__external_id=TICKET)
    (bought,) = to_whom(mailbox, "bob@example.com")
    assert f"Open My tickets: https://tickets.example/my-tickets/#ticket-{new.external_id}" in text_of(bought)
    page = BeautifulSoup(html_of(bought), "html.parser")
    assert (
        page.find("a", string="Open My tickets")["href"]
        == f"https://tickets.example/my-tickets/#ticket-{new.external_id}"
    )
    assert page.find("html")["lang"] == "en"


def test_each_person_is_written_to_in_their_language(mailbox: Mailbox) -> None:
    Profile.objects.filter(user__email="alice@example.com").update(language="es")

    listing("m1", "listing.created")
    resold("m2")
    sent()

    listed, sold = to_whom(mailbox, "alice@example.com")
    assert "Tu entrada para Metallica: M72 World Tour está en reventa" in listed["Subject"]
    assert "Tu entrada para Metallica: M72 World Tour se vendió" in sold["Subject"]
    assert "101,50\xa0US$" in text_of(sold)
    assert BeautifulSoup(html_of(sold), "html.parser").find("html")["lang"] == "es"
    assert "Your ticket" in to_whom(mailbox, "bob@example.com")[0]["Subject"]


def test_a_guest_buyer_is_sent_to_create_the_account_that_receives_the_ticket(mailbox: Mailbox) -> None:
    resold("m1", buyer="Frank@Example.com")
    sent()

    (waiting,) = to_whom(mailbox, "frank@example.com")
    assert "A ticket waits for you" in text_of(waiting)
    assert "Create your account: https://tickets.example/accounts/signup/" in text_of(waiting)


def test_a_notice_applied_twice_sends_nothing_twice(mailbox: Mailbox) -> None:
    listing("m3", "listing.created")
    webhooks.apply_again(WebhookDelivery.objects.get(webhook_id="m3"))  # staff apply it again
    resold("m1")
    resold("m2")  # the same resale, told again under another id
    sent()

    assert Email.objects.filter(kind="listed").count() == 1
    assert [m["Subject"] for m in mailbox.messages].count("[Boxoffice] Your ticket for Metallica: M72 World Tour") == 1
    assert Email.objects.filter(kind="sold").count() == 1
    assert sent() == {"sent": 0, "retrying": 0, "failed": 0}


def test_listing_changes_are_confirmed_to_the_seller_but_a_sale_is_told_once(mailbox: Mailbox) -> None:
    listing("m1", "listing.created")
    listing("m2", "listing.updated", price="90")
    listing("m3", "listing.deleted", status="WITHDRAWN")
    listing("m4", "listing.created", listing_id="lst_8")
    listing("m5", "listing.deleted", listing_id="lst_8", status="SOLD")
    sent()

    subjects = [m["Subject"].removeprefix("[Boxoffice] ") for m in to_whom(mailbox, "alice@example.com")]
    event = "Metallica: M72 World Tour"
    assert subjects == [
        f"Your ticket for {event} is listed for resale",
        f"Your listing for {event} changed",
        f"Your ticket for {event} is no longer for sale",
        f"Your ticket for {event} is listed for resale",
    ]
    assert "now for sale at $90." in text_of(to_whom(mailbox, "alice@example.com")[1])


def test_a_payout_is_recorded_once_and_shown_as_paid(mailbox: Mailbox) -> None:
    listing("m1", "listing.created", listing_id="lst_9")
    resold("m2")
    payout = {
        "eventId": EVENT,
        "showId": SHOW,
        "sellerEmail": "alice@example.com",
        "listingIds": ["lst_9"],
        "amount": {"amount": "96.40", "currency": "USD"},
    }
    assert notice("m3", "payouts.delivered", payout).status_code == 200
    assert notice("m4", "payouts.delivered", payout).status_code == 200  # told again
    sent()

    record = Payout.objects.get()
    assert (record.seller.email, record.amount, record.listing_ids) == (
        "alice@example.com",
        Decimal("96.40"),
        ["lst_9"],
    )
    paid_mail = [m for m in to_whom(mailbox, "alice@example.com") if "paid" in m["Subject"]]
    assert len(paid_mail) == 1
    assert "menta paid you $96.40 for the ticket you sold." in text_of(paid_mail[0])
    assert "https://tickets.example/accounts/profile/#payouts" in text_of(paid_mail[0])
    alice = signed_in("alice@example.com")
    mine = BeautifulSoup(alice.get("/my-tickets/").content, "html.parser")
    assert mine.select_one(f'[data-ticket="{TICKET}"] .ticket-status').get_text() == "Paid"
    account = BeautifulSoup(alice.get("/accounts/profile/").content, "html.parser")
    row = account.select_one("#payouts [data-payout]")
    assert "Metallica: M72 World Tour" in row.get_text() and "$96.40" in row.get_text()
    assert "Paid " in row.get_text() and "for 1 listing" in row.get_text()
    olivia = signed_in("olivia@example.com")
    rows = olivia.get(f"/organizer/report/events/{EVENT}/tickets", {"limit": 100, "offset": 0}).json()["result"]
    (sold_row,) = [r for r in rows if r["ticketId"] == TICKET]
    assert sold_row["ticketMetadata"]["resalePaidOutAt"] == record.paid_at.astimezone(UTC).isoformat().replace(
        "+00:00", "Z"
    )


def test_a_payout_for_listings_the_site_never_saw_is_still_recorded() -> None:
    payout = {"eventId": "evt_unknown", "sellerEmail": "alice@example.com", "listingIds": ["lst_404"]}
    assert notice("m1", "payouts.delivered", payout).status_code == 200

    assert Payout.objects.get().seller.email == "alice@example.com"


def test_a_fan_who_asked_hears_once_a_day_and_can_stop_without_signing_in(mailbox: Mailbox) -> None:
    notice("m1", "notifyMe.created.updated", {"email": "Fan@Example.com", "eventId": EVENT, "showId": SHOW})
    listing("m2", "listing.created")
    listing("m3", "listing.created", listing_id="lst_8")  # the same day: no second email
    sent()

    (alert,) = to_whom(mailbox, "fan@example.com")
    assert alert["Subject"] == "[Boxoffice] Resale tickets for Metallica: M72 World Tour are available"
    assert "from $101.50" in text_of(alert)
    link = str(alert["List-Unsubscribe"]).strip().strip("<>")
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"Stop these emails: {link}" in text_of(alert)
    path = link.removeprefix("https://tickets.example")

    asked = Client().get(path)  # a mail scanner opening the link changes nothing
    assert asked.status_code == 200 and b"Stop emailing fan@example.com" in asked.content
    assert ResaleAlert.objects.get().unsubscribed_at is None
    done = Client().post(path, {"List-Unsubscribe": "One-Click"})  # a mail app's one-click
    assert done.status_code == 200 and b"will get no more emails" in done.content

    ResaleAlert.objects.update(last_sent_at=timezone.now() - timedelta(days=2))
    listing("m4", "listing.created", listing_id="lst_10")
    assert sent()["sent"] == 1  # alice's "listed" only
    assert len(to_whom(mailbox, "fan@example.com")) == 1


def test_an_account_that_declined_alerts_gets_none(mailbox: Mailbox) -> None:
    Profile.objects.filter(user__email="bob@example.com").update(resale_alerts=False)
    notice("m1", "notifyMe.created.updated", {"email": "bob@example.com", "eventId": EVENT, "showId": SHOW})
    listing("m2", "listing.created")
    sent()

    assert to_whom(mailbox, "bob@example.com") == []


def test_the_sites_own_notify_me_subscribes_in_the_visitors_language() -> None:
    answer = Client().post(f"/events/{EVENT}/{SHOW}/notify/", {"email": "fan@example.com"}, HTTP_ACCEPT_LANGUAGE="es")

    assert answer.status_code == 302
    assert ResaleAlert.objects.get(email="fan@example.com").language == "es"


def test_an_unsubscribe_link_that_was_not_made_here_is_a_404() -> None:
    answer = Client().post("/alerts/not-a-token/unsubscribe/")

    assert answer.status_code == 404 and b"not valid" in answer.content


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1))
def test_no_unsubscribe_token_is_a_500(token: str) -> None:
    answer = Client().post(f"/alerts/{token}/unsubscribe/")

    assert answer.status_code == 404


PRICES = st.one_of(
    st.decimals(min_value=-(10**13), max_value=10**13, places=6, allow_nan=False, allow_infinity=False).map(str),
    st.integers(min_value=-(10**14), max_value=10**14),
    st.text(max_size=30),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    amount=PRICES,
    currency=st.text(max_size=12),
    listing_id=st.text(min_size=1, max_size=400),
    email=st.emails(),
    show_id=st.text(max_size=200),
)
# Under menta's limit of 10^12, but not once rounded to cents: the database's column has no room.
@example(amount="999999999999.995", currency="USD", listing_id="l1", email="a@example.com", show_id="s1")
@example(amount="-999999999999.999", currency="USD", listing_id="l1", email="a@example.com", show_id="s1")
def test_odd_values_from_menta_are_never_a_500(
    amount: Any, currency: str, listing_id: str, email: str, show_id: str
) -> None:
    price = {"amount": amount, "currency": currency}
    answers = [
        listing(f"l-{uuid.uuid4()}", "listing.created", listing_id=listing_id, price=amount, currency=currency),
        listing(f"u-{uuid.uuid4()}", "listing.updated", listing_id=listing_id, price=price),
        notice(
            f"p-{uuid.uuid4()}",
            "payouts.delivered",
            {"eventId": EVENT, "showId": show_id, "sellerEmail": email, "listingIds": [listing_id], "amount": price},
        ),
        notice(f"n-{uuid.uuid4()}", "notifyMe.created.updated", {"email": email, "eventId": EVENT, "showId": show_id}),
        notice(f"e-{uuid.uuid4()}", "event.unlock", {"eventId": EVENT, "showId": show_id}),
    ]

    assert all(answer.status_code in (200, 400) for answer in answers), [a.content for a in answers]
    assert emails.send_due()["retrying"] == 0


def test_a_show_held_until_unlock_shows_its_qr_codes_once_unlocked(mailbox: Mailbox) -> None:
    Show.objects.filter(external_id=SHOW).update(hold_until_unlock=True)
    alice = signed_in("alice@example.com")
    held = BeautifulSoup(alice.get("/my-tickets/").content, "html.parser").select_one(f'[data-ticket="{TICKET}"]')
    assert held.select_one('[data-qr="locked"]') is not None and held.select_one("img[data-qr]") is None

    assert notice("m1", "event.unlock", {"eventId": EVENT, "showId": SHOW}).status_code == 200
    assert notice("m2", "event.unlock", {"eventId": EVENT, "showId": SHOW}).status_code == 200
    sent()

    shown = BeautifulSoup(alice.get("/my-tickets/").content, "html.parser").select_one(f'[data-ticket="{TICKET}"]')
    assert shown.select_one('img[data-qr="shown"]') is not None
    (ready,) = to_whom(mailbox, "alice@example.com")
    assert ready["Subject"] == "[Boxoffice] Your tickets for Metallica: M72 World Tour are ready"
    holders = set(Ticket.objects.filter(show__external_id=SHOW, status="VALID").values_list("holder__email", flat=True))
    assert {str(m["To"]) for m in mailbox.messages} == holders


def test_notices_about_a_show_the_site_does_not_have_change_nothing(caplog: pytest.LogCaptureFixture) -> None:
    unlocked = notice("m1", "event.unlock", {"eventId": "evt_unknown"})
    asked = notice("m2", "notifyMe.created.updated", {"email": "fan@example.com", "eventId": "evt_unknown"})

    assert (unlocked.status_code, asked.status_code) == (200, 200)
    assert not ResaleAlert.objects.exists() and not Email.objects.exists()
    assert "event.unlock for show evt_unknown/*, which this site does not have" in caplog.text


# --- delivery --------------------------------------------------------------------------------


def test_an_address_the_server_refuses_is_not_retried(mailbox: Mailbox) -> None:
    mailbox.refused.add("bob@example.com")
    resold("m1")

    assert sent() == {"sent": 1, "retrying": 0, "failed": 1}
    refused = Email.objects.get(to="bob@example.com")
    assert (refused.status, refused.attempts) == (Email.Status.FAILED, 1)
    assert "550" in refused.last_error
    assert sent() == {"sent": 0, "retrying": 0, "failed": 0}


def test_a_server_that_is_down_is_tried_again_later(mailbox: Mailbox, settings: Any) -> None:
    resold("m1")
    port = settings.EMAIL_PORT
    mailbox.stop()

    assert sent() == {"sent": 0, "retrying": 2, "failed": 0}
    waiting = Email.objects.get(kind="sold")
    assert waiting.status == Email.Status.RETRYING and waiting.next_attempt_at > timezone.now()
    assert sent() == {"sent": 0, "retrying": 0, "failed": 0}  # not due yet

    revived = Mailbox()
    revived.controller.port = port
    revived.start()
    try:
        Email.objects.update(next_attempt_at=timezone.now())
        assert sent() == {"sent": 2, "retrying": 0, "failed": 0}
        assert {str(m["To"]) for m in revived.messages} == {"alice@example.com", "bob@example.com"}
    finally:
        revived.stop()


def test_after_the_last_attempt_an_email_is_given_up(mailbox: Mailbox) -> None:
    resold("m1")
    mailbox.stop()
    Email.objects.update(attempts=emails.MAX_ATTEMPTS - 1)

    assert sent() == {"sent": 0, "retrying": 0, "failed": 2}


def test_a_change_that_rolls_back_queues_nothing() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        emails.queue("unlocked", "alice@example.com", key="unlocked:test", event="A show")
        raise RuntimeError

    assert not Email.objects.exists()
    assert emails.send_due() == {"sent": 0, "retrying": 0, "failed": 0}


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown email kind 'spam'"):
        emails.queue("spam", "alice@example.com", key="spam:1")


def test_an_email_that_cannot_be_written_is_set_aside_and_the_others_go(mailbox: Mailbox) -> None:
    from salsite.models import Event

    Event.objects.filter(external_id=EVENT).update(title="Metallica\r\nBcc: everyone@example.com")
    resold("m1")
    emails.queue("unlocked", "carol@example.com", key="unlocked:broken", event="A show", starts_at="not a date")
    Email.objects.filter(key="unlocked:broken").update(kind="no-such-kind")

    assert sent() == {"sent": 2, "retrying": 0, "failed": 1}
    sold = to_whom(mailbox, "alice@example.com")[0]
    assert sold["Subject"] == "[Boxoffice] Your ticket for Metallica Bcc: everyone@example.com sold"
    assert "Bcc" not in {name for name, _value in sold.items()}
    assert Email.objects.get(key="unlocked:broken").status == Email.Status.FAILED
