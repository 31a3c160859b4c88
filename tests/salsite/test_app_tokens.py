"""The demo platform's app tokens for the SAL JSON API, and the example app client against the demo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from salsite import app_tokens
from tests.conftest import SandboxControl

ROOT = Path(__file__).resolve().parents[2]
TICKETS = "/sal/api/v1/me/tickets"


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.mark.django_db
class TestTokens:
    def test_a_token_reads_its_persons_tickets(self, demo: SandboxControl) -> None:
        alice = User.objects.get(email="alice@example.com")

        response = Client().get(TICKETS, **bearer(app_tokens.issue(alice)))

        assert response.status_code == 200
        assert {item["status"] for item in response.json()["items"]} >= {"SELLABLE"}

    def test_a_new_password_revokes_it(self, demo: SandboxControl) -> None:
        alice = User.objects.get(email="alice@example.com")
        token = app_tokens.issue(alice)
        alice.set_password("a whole new password")
        alice.save()

        response = Client().get(TICKETS, **bearer(token))

        assert response.status_code == 401
        assert response.json()["error"]["message"] == "This app token is no longer valid: sign in again."

    @pytest.mark.parametrize("token", ["x", "eyJ1IjoxfQ:forged:sig", "a" * 300])
    def test_a_forged_token_is_401(self, demo: SandboxControl, token: str) -> None:
        response = Client().get(TICKETS, **bearer(token))

        assert response.status_code == 401
        assert response.json()["error"] == {"code": "invalid_credentials", "message": "This app token is not valid."}

    def test_an_old_token_has_expired(self, demo: SandboxControl, monkeypatch: pytest.MonkeyPatch) -> None:
        token = app_tokens.issue(User.objects.get(email="alice@example.com"))
        monkeypatch.setattr(app_tokens, "MAX_AGE", -1)

        response = Client().get(TICKETS, **bearer(token))

        assert response.json()["error"]["message"] == "This app token has expired: sign in again."

    def test_the_command_prints_one_and_refuses_a_stranger_in_one_line(self, demo: SandboxControl) -> None:
        from io import StringIO

        out = StringIO()
        call_command("app_token", "ALICE@example.com", stdout=out)
        assert Client().get(TICKETS, **bearer(out.getvalue().strip())).status_code == 200
        with pytest.raises(CommandError, match=r"^No active account with the email 'nobody@example.com'\.$"):
            call_command("app_token", "nobody@example.com")


@pytest.mark.django_db(transaction=True)
def test_the_example_app_client_against_the_demo(live_server: Any, demo: SandboxControl) -> None:
    token = app_tokens.issue(User.objects.get(email="alice@example.com"))
    command = [sys.executable, "docs/examples/sal_app_client.py", live_server.url]

    ran = subprocess.run(
        [*command, "evt_2024_metallica", "show_nyc_20240815", "--token", token],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )

    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert any(line.startswith("[") and f"-> {live_server.url}/sal/go/?ref=" in line for line in lines), lines
    assert "Asked again with its ETag: 304, unchanged" in lines
    assert any(": Can be resold; " in line and "(SELL)" in line for line in lines), lines
    spanish = subprocess.run(
        [*command, "--token", token, "--lang", "es"], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert any(": Se puede revender; " in line for line in spanish.stdout.splitlines()), spanish.stdout
    refused = subprocess.run([*command, "--token", "forged"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert (refused.returncode, refused.stderr.strip()) == (1, "401 invalid_credentials: This app token is not valid.")


@pytest.mark.django_db
class TestThePlatformsOwnJson:
    def test_a_show(self, demo: SandboxControl) -> None:
        body = Client().get("/api/shows/evt_2024_metallica/show_nyc_20240815").json()

        assert (body["eventId"], body["showId"]) == ("evt_2024_metallica", "show_nyc_20240815")
        assert body["options"] and all(option["price"].count(".") == 1 for option in body["options"])
        assert Client().get("/api/shows/evt_2024_metallica/nope").status_code == 404

    def test_a_persons_tickets_by_session_or_token(self, demo: SandboxControl) -> None:
        alice = User.objects.get(email="alice@example.com")
        client = Client()
        client.force_login(alice)

        by_session = client.get("/api/me/tickets").json()["tickets"]
        by_token = Client().get("/api/me/tickets", **bearer(app_tokens.issue(alice))).json()["tickets"]

        assert by_session == by_token and {"TKT-ALICE-001", "TKT-ALICE-002"} <= {t["id"] for t in by_token}
        assert Client().get("/api/me/tickets").status_code == 401
        assert Client().get("/api/me/tickets", **bearer("forged")).json() == {"message": "This app token is not valid."}
