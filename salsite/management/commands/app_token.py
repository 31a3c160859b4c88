"""``manage.py app_token EMAIL``: a bearer token for the SAL JSON API, as the demo's app would hold."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from salsite import app_tokens


class Command(BaseCommand):
    help = "Print a bearer token for the SAL JSON API (/sal/api/v1/) for the account with this email."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(f"No active account with the email {email!r}.")
        self.stdout.write(app_tokens.issue(user))
