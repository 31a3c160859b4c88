"""The site's accounts on django-allauth: named by their lower-cased email, made once per email
even when two sign-ups race, and given the tickets sent to an email only once it is verified."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.account.views import LoginView, SignupView
from django import forms
from django.contrib.auth.models import AbstractBaseUser, User
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

# auth_user.username holds the email: an address longer than the column is refused at sign-up.
MAX_EMAIL_LENGTH = User._meta.get_field("username").max_length or 150


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        if len(email) > MAX_EMAIL_LENGTH:
            raise forms.ValidationError(
                _("Use an email of at most %(count)d characters.") % {"count": MAX_EMAIL_LENGTH}
            )
        return email

    def populate_username(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        # The account's name is its email in lower case: unique whatever the case it is typed in,
        # so that two sign-ups with GUEST@example.com and guest@example.com cannot both succeed.
        user.username = user.email.strip().lower()  # type: ignore[attr-defined]


class _Refusing:
    """A form with errors is answered 400, not 200."""

    def form_invalid(self, form: Any) -> HttpResponse:
        response: HttpResponse = super().form_invalid(form)  # type: ignore[misc]
        response.status_code = 400
        return response


class SignIn(_Refusing, LoginView):
    """allauth's sign-in (failed attempts rate-limited), answering 400 to a refused attempt."""


class SignUp(_Refusing, SignupView):
    """allauth's sign-up, answering 400 to a form with errors, and a form error (not a 500) to the
    sign-up that loses a race with another for the same email."""

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            with transaction.atomic():
                response: HttpResponse = super().form_valid(form)
        except IntegrityError:
            form.add_error("email", _("A user is already registered with this email address."))
            return self.form_invalid(form)
        return response


def verified_emails(user: AbstractBaseUser) -> list[str]:
    emails = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    return [email.lower() for email in emails]


def verified_owner(email: str) -> User | None:
    """The account that verified ``email``, if any: the only one a ticket sent to it may go to."""
    address = EmailAddress.objects.filter(email__iexact=email, verified=True).select_related("user").first()
    return address.user if address is not None else None


def unverified_emails(user: AbstractBaseUser) -> list[str]:
    """The account's emails that wait for verification (its own email, when it has no record yet)."""
    addresses = {e.email.lower(): e.verified for e in EmailAddress.objects.filter(user=user)}
    own = (getattr(user, "email", "") or "").lower()
    if own and own not in addresses:
        addresses[own] = False
    return [email for email, verified in addresses.items() if not verified]
