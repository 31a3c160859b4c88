"""``salsite.accounts``: sign-up, verification, sign-in limits and password reset on django-allauth."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
import requests
from allauth.account.models import EmailAddress
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from tests.conftest import HIDDEN, verification_path


def sign_up(client: Client, email: str, password: str = "a-good-pass-1", **extra: str) -> Any:
    return client.post("/accounts/signup/", {"email": email, "password1": password, "password2": password, **extra})


def errors(response: Any) -> list[str]:
    return [p.get_text(strip=True) for p in BeautifulSoup(response.content, "html.parser").select(".error")]


@pytest.mark.django_db
class TestSignUp:
    def test_an_account_is_named_by_its_email_in_lower_case_and_signed_in(self) -> None:
        client = Client()

        answer = sign_up(client, "Dana@Example.COM", name="Dana Scully")

        assert (answer.status_code, answer["Location"]) == (302, "/my-tickets/")
        dana = User.objects.get()
        assert (dana.username, dana.first_name, dana.last_name) == ("dana@example.com", "Dana", "Scully")
        assert client.get("/my-tickets/").status_code == 200

    def test_the_email_is_sent_a_link_that_verifies_it(self) -> None:
        client = Client()
        sign_up(client, "dana@example.com")
        address = EmailAddress.objects.get()
        assert not address.verified
        (message,) = mail.outbox
        assert message.subject.startswith("[Boxoffice] ")

        client.post(verification_path("dana@example.com"))

        address.refresh_from_db()
        assert address.verified

    def test_in_spanish(self) -> None:
        client = Client(HTTP_ACCEPT_LANGUAGE="es")

        page = BeautifulSoup(client.get("/accounts/signup/").content, "html.parser")
        refused = sign_up(client, "dana@example.com", password="1")

        assert page.select_one("html")["lang"] == "es"
        assert page.select_one("h1").get_text(strip=True) == "Registrarse"
        assert refused.status_code == 400 and any("contraseña" in error for error in errors(refused))

    @pytest.mark.parametrize(
        ("email", "message"),
        [
            ("not-an-email", "Enter a valid email address."),
            (f"{'d' * 140}@example.com", "Use an email of at most 150 characters."),
        ],
    )
    def test_a_bad_email_is_a_400_naming_it(self, email: str, message: str) -> None:
        answer = sign_up(Client(), email)

        assert answer.status_code == 400
        assert message in errors(answer)
        assert not User.objects.exists()

    def test_an_email_taken_in_another_case_is_refused(self) -> None:
        sign_up(Client(), "dana@example.com")

        again = sign_up(Client(), "DANA@example.com")

        assert again.status_code == 400
        assert "A user is already registered with this email address." in errors(again)

    def test_the_former_address_leads_to_the_sign_up(self) -> None:
        answer = Client().get("/accounts/sign-up/?next=/my-tickets/")

        assert (answer.status_code, answer["Location"]) == (301, "/accounts/signup/?next=/my-tickets/")


@pytest.mark.django_db(transaction=True)
def test_concurrent_sign_ups_with_one_email_make_one_account(live_server: Any) -> None:
    variants = ["race@example.com", "RACE@example.com", "Race@Example.com", "race@EXAMPLE.com"] * 2
    statuses: list[int] = []

    def attempt(email: str) -> None:
        session = requests.Session()
        form = session.get(f"{live_server.url}/accounts/signup/", timeout=30)
        hidden = dict(HIDDEN.findall(form.text))
        fields = {**hidden, "email": email, "password1": "a-good-pass-1", "password2": "a-good-pass-1"}
        answer = session.post(f"{live_server.url}/accounts/signup/", data=fields, allow_redirects=False, timeout=60)
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=attempt, args=(email,)) for email in variants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [302] + [400] * 7
    assert User.objects.filter(email__iexact="race@example.com").count() == 1


@pytest.mark.django_db
class TestSignIn:
    def test_any_case_of_the_email(self, django_user_model: Any) -> None:
        django_user_model.objects.create_user("dana@example.com", "dana@example.com", "a-good-pass-1")

        answer = Client().post("/accounts/login/", {"login": "DANA@Example.com", "password": "a-good-pass-1"})

        assert (answer.status_code, answer["Location"]) == (302, "/my-tickets/")

    def test_failed_attempts_are_limited(self, django_user_model: Any) -> None:
        django_user_model.objects.create_user("dana@example.com", "dana@example.com", "a-good-pass-1")
        attempts = [
            Client().post("/accounts/login/", {"login": "dana@example.com", "password": f"guess-{n}"}) for n in range(6)
        ]

        assert [a.status_code for a in attempts] == [400] * 6
        assert "Too many failed login attempts. Try again later." in errors(attempts[-1])
        # The right password is refused too while the limit holds.
        right = Client().post("/accounts/login/", {"login": "dana@example.com", "password": "a-good-pass-1"})
        assert right.status_code == 400

    def test_the_admin_signs_in_through_the_site(self) -> None:
        answer = Client().get("/admin/login/?next=/admin/")

        assert (answer.status_code, answer["Location"]) == (302, "/accounts/login/?next=%2Fadmin%2F")


@pytest.mark.django_db
def test_a_forgotten_password_is_reset_by_email(django_user_model: Any) -> None:
    django_user_model.objects.create_user("dana@example.com", "dana@example.com", "a-good-pass-1")
    client = Client()

    asked = client.post("/accounts/password/reset/", {"email": "dana@example.com"})

    assert asked.status_code == 302
    (message,) = mail.outbox
    link = re.search(r"https?://\S+?(/accounts/password/reset/key/\S+/)", message.body)
    assert link is not None
    form = client.get(link.group(1), follow=True)
    reset = client.post(form.redirect_chain[-1][0], {"password1": "a-new-pass-22", "password2": "a-new-pass-22"})
    assert reset.status_code == 302
    assert Client().login(username="dana@example.com", password="a-new-pass-22")
