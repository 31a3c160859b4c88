"""Emails people get, delivered durably: ``queue`` writes one in the transaction of the change that
causes it (nothing is sent by a change that rolls back), and ``send_due``, run by the site's task
worker, sends it, with retries.

An email has a key saying what it is about (``sold:<resale>``): queueing the same key again does
nothing, so a webhook applied twice sends nothing twice. An address the mail server refuses for
good (a 5xx answer) is not retried; a server that is down or answers 4xx is tried again with a
growing wait, up to ``MAX_ATTEMPTS``. Messages are written when sent, in the person's language,
from the values stored with them.
"""

from __future__ import annotations

import contextlib
import logging
import random
import smtplib
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.db.models import F, Min, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from salsite.models import Email, Profile
from salwidgets import render
from salwidgets.privacy import redact
from salwidgets.seats import seat_label
from salwidgets.tasks import enqueue_once
from salwidgets.wire import Money

if TYPE_CHECKING:
    from django_tasks import task
else:
    try:
        from django.tasks import task
    except ImportError:
        from django_tasks import task

logger = logging.getLogger("salsite.emails")

Status = Email.Status
MAX_ATTEMPTS = 8
BACKOFF_BASE, BACKOFF_CAP = 30.0, 3600.0
LEASE = timedelta(minutes=5)
BATCH = 50

# The subject of each kind of email (its body is templates/salsite/emails/<kind>.html and .txt).
SUBJECTS: dict[str, Any] = {
    "bought": _("Your ticket for %(event)s"),
    "received": _("A ticket for %(event)s was sent to you"),
    "sold": _("Your ticket for %(event)s sold"),
    "transferred": _("Your ticket for %(event)s was transferred"),
    "listed": _("Your ticket for %(event)s is listed for resale"),
    "repriced": _("Your listing for %(event)s changed"),
    "withdrawn": _("Your ticket for %(event)s is no longer for sale"),
    "paid": _("You were paid for your tickets to %(event)s"),
    "alert": _("Resale tickets for %(event)s are available"),
    "unlocked": _("Your tickets for %(event)s are ready"),
}


def site_url(path: str) -> str:
    """An absolute link to ``path`` on this site (emails are read away from it)."""
    return f"{settings.SITE_URL}{path}"


def language_for(email: str, asked_in: str = "") -> str:
    """The language to write to ``email`` in: the account's choice, else the one they asked in."""
    chosen = (
        Profile.objects.filter(user__email__iexact=email)
        .exclude(language="")
        .values_list("language", flat=True)
        .first()
    )
    known = {code for code, _name in settings.LANGUAGES}
    for language in (chosen, asked_in):
        if language and language.split("-")[0] in known:
            return language.split("-")[0]
    return str(settings.LANGUAGE_CODE)


def queue(
    kind: str, to: str, *, key: str, language: str = "", headers: dict[str, str] | None = None, **context: Any
) -> bool:
    """Write one email (in the caller's transaction) and wake the worker; False when ``key`` is
    known already. ``context`` holds plain values: text, numbers, ``datetime`` (stored as ISO)."""
    if kind not in SUBJECTS:
        raise ValueError(f"unknown email kind {kind!r}")
    values = {name: value.isoformat() if isinstance(value, datetime) else value for name, value in context.items()}
    if headers:
        values["_headers"] = headers
    with transaction.atomic():
        _email, created = Email.objects.get_or_create(
            key=key[:300],
            defaults={"kind": kind, "to": to, "language": language or language_for(to), "context": values},
        )
        if created:
            enqueue_once(send_emails)
    return created


def _values(context: dict[str, Any]) -> dict[str, Any]:
    """The stored values as the templates use them: dates as datetimes, prices as text."""
    values = dict(context)
    for name, value in context.items():
        if name.endswith("_at") and isinstance(value, str):
            values[name] = parse_datetime(value)
    if "section" in context or "seat" in context:
        values["seat_label"] = seat_label(context.get("section", ""), context.get("row", ""), context.get("seat", ""))
    if isinstance(context.get("amount"), str) and context.get("currency"):
        try:
            values["price"] = render.money(Money(Decimal(context["amount"]), str(context["currency"])))
        except InvalidOperation:
            values["price"] = f"{context['amount']} {context['currency']}"
    return values


# Where each kind's button leads (a guest buyer's leads to the account that will receive the ticket).
ACTIONS = {"paid": "account_url", "alert": "show_url"}


def message(email: Email, connection: Any = None) -> mail.EmailMultiAlternatives:
    """The email as sent: subject, plain text and HTML in its language."""
    with translation.override(email.language):
        values = _values(email.context)
        headers = dict(values.pop("_headers", None) or {})
        action = "account_url" if values.get("guest") else ACTIONS.get(email.kind, "my_tickets_url")
        # One line, whatever the event's title holds (a header cannot carry a line break).
        subject = " ".join(str(SUBJECTS[email.kind] % {"event": values.get("event", "")}).split())
        context = {
            **values,
            "kind": email.kind,
            "site_url": settings.SITE_URL,
            "to": email.to,
            "subject": subject,
            "action_url": values.get(action, ""),
        }
        template = f"salsite/emails/{email.kind}.html"
        text = render_to_string(template, {**context, "layout": "salsite/emails/base.txt"})
        html = render_to_string(template, {**context, "layout": "salsite/emails/base.html"})
    prefix = getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", "")
    sent = mail.EmailMultiAlternatives(
        f"{prefix}{subject}", text, settings.DEFAULT_FROM_EMAIL, [email.to], headers=headers, connection=connection
    )
    sent.attach_alternative(html, "text/html")
    return sent


# --- sending ---------------------------------------------------------------------------------


def _due(now: datetime) -> Q:
    return Q(status__in=(Status.PENDING, Status.RETRYING), next_attempt_at__lte=now) | Q(
        status=Status.SENDING, claimed_until__lt=now
    )


def _claim(now: datetime) -> tuple[str, list[Email]]:
    ids = list(Email.objects.filter(_due(now)).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:BATCH])
    if not ids:
        return "", []
    token = uuid.uuid4().hex[:16]
    Email.objects.filter(_due(now), pk__in=ids).update(
        status=Status.SENDING, claimed_until=now + LEASE, attempts=F("attempts") + 1, claim=token
    )
    return token, list(Email.objects.filter(status=Status.SENDING, claim=token).order_by("pk"))


class Unwritable(Exception):
    """An email that cannot be written (its stored values or its template are wrong): retrying
    would not help."""


def refused_for_good(error: Exception) -> bool:
    """Whether the email cannot go for good: the mail server refused the address or message (a
    5xx answer), or it cannot be written."""
    if isinstance(error, Unwritable):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return bool(error.smtp_code >= 500)
    return False


def backoff(attempts: int) -> float:
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return random.uniform(ceiling / 2, ceiling)


def _outcome(email: Email, error: Exception | None) -> dict[str, Any]:
    now = timezone.now()
    if error is None:
        return {"status": Status.SENT, "sent_at": now, "last_error": ""}
    text = f"{type(error).__name__}: {error}"[:1000]
    if refused_for_good(error) or email.attempts >= MAX_ATTEMPTS:
        logger.warning("email %s (%s to %s) not delivered: %s", email.pk, email.kind, redact(email.to), redact(text))
        return {"status": Status.FAILED, "last_error": text}
    logger.info("email %s (%s) to retry: %s", email.pk, email.kind, redact(text))
    return {
        "status": Status.RETRYING,
        "next_attempt_at": now + timedelta(seconds=backoff(email.attempts)),
        "last_error": text,
    }


def _send_batch(emails: list[Email], opened: Callable[[], Any]) -> dict[str, int]:
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    connection = None
    for email in emails:
        error: Exception | None = None
        try:
            written = message(email)
        except Exception as exc:  # one email that cannot be written must not stop the others
            logger.exception("email %s (%s) cannot be written", email.pk, email.kind)
            error = Unwritable(f"{type(exc).__name__}: {exc}")
        try:
            if error is None:
                if connection is None:
                    connection = opened()
                written.connection = connection
                written.send()
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            error = exc
            if not isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)):
                _closed(connection)
                connection = None
        changes = _outcome(email, error)
        Email.objects.filter(pk=email.pk, claim=email.claim, status=Status.SENDING).update(
            claim="", claimed_until=None, **changes
        )
        counts[{Status.SENT: "sent", Status.FAILED: "failed"}.get(changes["status"], "retrying")] += 1
    _closed(connection)
    return counts


def _closed(connection: Any) -> None:
    if connection is not None:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()


def _opened() -> Any:
    connection = mail.get_connection()
    connection.open()
    return connection


def send_due(*, max_batches: int = 100) -> dict[str, int]:
    """Send every email that is due; answers how many were sent, are to retry, and failed."""
    totals = {"sent": 0, "retrying": 0, "failed": 0}
    for batch in range(max_batches):
        _token, emails = _claim(timezone.now())
        if not emails:
            break
        if batch == 0:  # should this worker die holding the claim, another run sends them after it
            enqueue_once(send_emails, timezone.now() + LEASE + timedelta(seconds=1))
        for name, count in _send_batch(emails, _opened).items():
            totals[name] += count
    earliest = Email.objects.filter(status=Status.RETRYING).aggregate(at=Min("next_attempt_at"))["at"]
    if earliest is not None and totals["retrying"]:
        enqueue_once(send_emails, earliest)
    if any(totals.values()):
        logger.info("emails: %(sent)d sent, %(retrying)d to retry, %(failed)d not delivered", totals)
    return totals


@task()
def send_emails() -> dict[str, int]:
    """Send the emails that are due (the answer, counts by outcome, is kept as the task's result)."""
    return send_due()


def retry_now(emails: Any) -> int:
    """Make failed or waiting emails due at once (the admin's action); answers how many."""
    count = int(
        Email.objects.filter(pk__in=[email.pk for email in emails])
        .exclude(status__in=(Status.SENT, Status.SENDING))
        .update(status=Status.PENDING, next_attempt_at=timezone.now(), attempts=0)
    )
    if count:
        enqueue_once(send_emails)
    return count
