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


def _remember_language(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """The language a person signs in with is the one their emails are written in, until they
    choose another on their account page."""
    from django.utils import translation

    from salsite.models import Profile

    language = (translation.get_language() or "").split("-")[0]
    profile, _created = Profile.objects.get_or_create(user=user, defaults={"language": language})
    if not profile.language and language:
        Profile.objects.filter(pk=profile.pk).update(language=language)


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

        from salsite import notices, resale  # noqa: F401 (connect the receivers of menta's webhooks)

        pre_save.connect(_lower_case_email, sender=get_user_model(), dispatch_uid="salsite.lower_case_email")
        user_logged_in.connect(_claim_resales, dispatch_uid="salsite.claim_resales")
        user_logged_in.connect(_remember_language, dispatch_uid="salsite.remember_language")
        email_confirmed.connect(_claim_on_verification, dispatch_uid="salsite.claim_on_verification")
