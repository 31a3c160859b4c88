from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


def _lower_case_email(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Accounts keep their email in lower case, however it was typed (sign-in looks it up so)."""
    if instance.email:
        instance.email = instance.email.strip().lower()


def _claim_resales(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Tickets bought on resale for a verified email of this account arrive on sign-in."""
    from salsite import resale

    resale.claim(user)


def _claim_on_verification(sender: Any, request: Any, email_address: Any, **kwargs: Any) -> None:
    """...and the moment the account verifies the email they were sent to."""
    from salsite import resale

    resale.claim(email_address.user)


class SalSiteConfig(AppConfig):
    name = "salsite"
    verbose_name = "Ticketing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from allauth.account.signals import email_confirmed
        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_save

        from salsite import resale  # noqa: F401 (connects the receivers of menta's webhooks)

        pre_save.connect(_lower_case_email, sender=get_user_model(), dispatch_uid="salsite.lower_case_email")
        user_logged_in.connect(_claim_resales, dispatch_uid="salsite.claim_resales")
        email_confirmed.connect(_claim_on_verification, dispatch_uid="salsite.claim_on_verification")
