"""The ticketing site's own data: events and shows it sells, orders and the tickets in them."""

from __future__ import annotations

import hashlib
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from salwidgets.seats import seat_label


class Organizer(models.Model):
    """Who puts on events. Its API token lets its systems read the ticket report of its events."""

    external_id = models.SlugField(max_length=100, unique=True, help_text="The organizer's id in reports.")
    name = models.CharField(max_length=200)
    token_digest = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    token_issued_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def issue_token(self) -> str:
        """A new API token (shown once: only its digest is kept); the previous one stops working."""
        token = f"org_{secrets.token_urlsafe(32)}"
        self.token_digest = token_digest(token)
        self.token_issued_at = timezone.now()
        self.save(update_fields=["token_digest", "token_issued_at"])
        return token


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Event(models.Model):
    organizer = models.ForeignKey(Organizer, on_delete=models.SET_NULL, null=True, blank=True, related_name="events")
    external_id = models.SlugField(max_length=100, unique=True, help_text="The id menta knows the event by.")
    title = models.CharField(max_length=200)
    description = models.TextField()
    venue = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    resale_max_percent = models.PositiveIntegerField(
        default=100, help_text="Highest resale price, as a percentage of face value."
    )

    class Meta:
        ordering = ["title"]
        permissions = [("view_ticket_report", "Can read the ticket ownership report")]

    def __str__(self) -> str:
        return self.title


class ShowQuerySet(models.QuerySet["Show"]):
    def upcoming(self) -> ShowQuerySet:
        return self.filter(starts_at__gte=timezone.now()).select_related("event").order_by("starts_at")


class Show(models.Model):
    class Status(models.TextChoices):
        LIVE = "LIVE", _("On sale")
        CANCELLED = "CANCELLED", _("Cancelled")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="shows")
    external_id = models.SlugField(max_length=100, help_text="The id menta knows the show by.")
    starts_at = models.DateTimeField()
    resale_enabled = models.BooleanField(default=True)
    native_listings = models.BooleanField(
        default=True,
        help_text="Show resale listings in the site's own design (with a checkout at menta) beside menta's components.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.LIVE)
    hold_until_unlock = models.BooleanField(
        default=False, help_text="Show tickets' QR codes only once menta says the show is unlocked (event.unlock)."
    )
    unlocked_at = models.DateTimeField(null=True, blank=True, help_text="When menta unlocked the show's tickets.")

    objects = ShowQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [models.UniqueConstraint(fields=["event", "external_id"], name="unique_show_per_event")]

    def __str__(self) -> str:
        return f"{self.event.title} · {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def qr_locked(self) -> bool:
        """Whether its tickets' QR codes wait for the show's unlock."""
        return self.hold_until_unlock and self.unlocked_at is None


class TicketOption(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="ticket_options")
    external_id = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, default="USD")
    capacity = models.PositiveIntegerField(default=200, help_text="Tickets of this option for sale per show.")

    class Meta:
        ordering = ["price"]
        constraints = [models.UniqueConstraint(fields=["event", "external_id"], name="unique_option_per_event")]

    def __str__(self) -> str:
        return f"{self.name} ({self.price} {self.currency})"


class Order(models.Model):
    reference = models.SlugField(max_length=50, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference


def new_locator() -> str:
    return secrets.token_urlsafe(24)


def new_order_reference() -> str:
    return f"ORD-{get_random_string(10).upper()}"


def new_ticket_id() -> str:
    return f"TKT-{get_random_string(12).upper()}"


class Ticket(models.Model):
    class Status(models.TextChoices):
        VALID = "VALID", _("Valid")
        REFUNDED = "REFUNDED", _("Refunded")
        TRANSFERRED = "TRANSFERRED", _("Transferred")
        RESOLD = "RESOLD", _("Resold")
        CANCELLED = "CANCELLED", _("Cancelled")
        DELETED = "DELETED", _("Deleted")

    external_id = models.SlugField(max_length=100, unique=True, help_text="The id menta knows the ticket by.")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="tickets")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tickets")
    show = models.ForeignKey(Show, on_delete=models.PROTECT, related_name="tickets")
    option = models.ForeignKey(TicketOption, on_delete=models.PROTECT, related_name="tickets")
    section = models.CharField(max_length=20, blank=True)
    row = models.CharField(max_length=20, blank=True)
    seat = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.VALID)
    locator = models.CharField(
        max_length=64, default=new_locator, unique=True, help_text="What the QR code carries; the gate checks it."
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    listed_at = models.DateTimeField(
        null=True, blank=True, help_text="Listed for resale at menta since then: the QR is on hold."
    )
    # Text, not a bounded column: a name or number menta sends must never stop a resale.
    holder_name = models.TextField(blank=True, help_text="The name on a named ticket.")
    holder_id_number = models.TextField(blank=True, help_text="The ID number on a named ticket.")
    reissued_from = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reissued_as"
    )
    # The ticket's owners, for the organizer's report. The first owner is the order's buyer unless
    # the ticket was reissued from another (then it is the first owner of that one).
    initial_holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    previous_holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    transfers_forward = models.PositiveIntegerField(default=0, help_text="Passed on to a new owner.")
    transfers_back = models.PositiveIntegerField(default=0, help_text="Given back to an earlier owner.")
    ended_at = models.DateTimeField(null=True, blank=True, help_text="When it stopped being valid.")
    listing_id = models.CharField(
        max_length=100, blank=True, db_index=True, help_text="menta's id of its last listing."
    )
    listing_price = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    listing_currency = models.CharField(max_length=3, blank=True)
    payout = models.ForeignKey(
        "Payout",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        help_text="What its sale paid.",
    )
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["external_id"]

    def __str__(self) -> str:
        return self.external_id

    @property
    def seat_label(self) -> str:
        """In the reader's language, as salwidgets labels the seats of resale listings."""
        return seat_label(self.section, self.row, self.seat)

    def first_owner_id(self) -> int:
        return self.initial_holder_id or self.order.user_id

    def passed_to(self, owner_id: int | None) -> dict[str, int]:
        """The owner fields of this ticket's next record (a transfer or a reissue) for ``owner_id``:
        going back to the previous or the first owner counts as a transfer back. ``None`` is an
        owner without an account."""
        return passed_to(
            owner_id,
            first_owner_id=self.first_owner_id(),
            previous_holder_id=self.previous_holder_id,
            holder_id=self.holder_id,
            forward=self.transfers_forward,
            back=self.transfers_back,
        )


def passed_to(
    owner_id: int | None,
    *,
    first_owner_id: int,
    previous_holder_id: int | None,
    holder_id: int,
    forward: int,
    back: int,
) -> dict[str, int]:
    """``Ticket.passed_to`` from the ticket's columns (for rows read without a model instance)."""
    returning = owner_id is not None and owner_id in (previous_holder_id, first_owner_id)
    return {
        "initial_holder_id": first_owner_id,
        "previous_holder_id": holder_id,
        "transfers_forward": forward + (0 if returning else 1),
        "transfers_back": back + (1 if returning else 0),
    }


class Resale(models.Model):
    """A ticket menta sold on resale (or transferred) to ``buyer_email``: the seller's ticket ended,
    and the buyer's new ticket is issued at once, or when someone with that email signs up."""

    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="resale")
    buyer_email = models.EmailField()
    transfer = models.BooleanField(default=False, help_text="A transfer between people, not a sale.")
    holder_name = models.TextField(blank=True)
    holder_id_number = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    issued = models.OneToOneField(Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.ticket} to {self.buyer_email}"


class Cart(models.Model):
    """Tickets held for a person for a few minutes while they pay."""

    class Status(models.TextChoices):
        OPEN = "OPEN", _("Open")
        PAID = "PAID", _("Paid")
        EXPIRED = "EXPIRED", _("Expired")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="carts")
    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="carts")
    option = models.ForeignKey(TicketOption, on_delete=models.CASCADE, related_name="carts")
    quantity = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    order = models.OneToOneField(Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="cart")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.option.name} for {self.show}"

    @property
    def total(self) -> Decimal:
        return self.option.price * self.quantity

    def is_open(self) -> bool:
        return self.status == self.Status.OPEN and self.expires_at > timezone.now()


class Profile(models.Model):
    """What a person tells the site about themselves, beyond their name and email."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    phone = models.CharField(
        _("phone"),
        max_length=32,
        blank=True,
        validators=[
            RegexValidator(r"^\+?(?=(?:\D*\d){6})[0-9 ()-]+$", _("Enter a phone number: digits, spaces, + ( ) and -."))
        ],
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    residence_country = CountryField(_("country of residence"), blank=True)
    allow_promo_email = models.BooleanField(_("Email me news and offers from this site"), default=False)
    allow_promo_third_party_email = models.BooleanField(
        _("Email me offers from the organizers and partners"), default=False
    )
    allow_tracking = models.BooleanField(_("Allow tracking for analytics and personalised offers"), default=False)
    resale_alerts = models.BooleanField(
        _("Email me when resale tickets appear for a show I asked to hear about"), default=True
    )
    language = models.CharField(
        _("language of our emails"), max_length=8, choices=settings.LANGUAGES, blank=True, default=""
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"


def report_storage() -> Storage:
    """Where finished exports are kept: the ``reports`` storage (files on the worker's disk by
    default; a storage every web process reads, such as S3, when the worker runs elsewhere). The
    files name people, so they are only ever handed out by the admin, never from a public URL."""
    return storages["reports"]


def report_path(export: ReportExport, filename: str) -> str:
    return f"ticket-reports/{export.event.external_id}/{filename}"


class ReportExport(models.Model):
    """An XLSX of an event's ticket report, written by the task worker while staff watch its progress."""

    class Status(models.TextChoices):
        QUEUED = "QUEUED", "Waiting for the worker"
        RUNNING = "RUNNING", "Writing"
        READY = "READY", "Ready"
        FAILED = "FAILED", "Failed"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="report_exports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    exclude_deleted = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    written = models.PositiveIntegerField(default=0, help_text="Tickets written so far.")
    total = models.PositiveIntegerField(null=True, blank=True, help_text="Tickets the export will hold.")
    file = models.FileField(storage=report_storage, upload_to=report_path, max_length=200, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Moved by every step of the worker: a running export whose progress stands still has lost its worker.
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Ticket report of {self.event} ({self.created_at:%Y-%m-%d %H:%M})"


class Payout(models.Model):
    """What menta paid a seller for listings it sold (``payouts.delivered``); its tickets say "Paid"."""

    key = models.CharField(max_length=300, unique=True, help_text="The notification's own id: applied once.")
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="payouts"
    )
    seller_email = models.EmailField(blank=True)
    show = models.ForeignKey(Show, on_delete=models.SET_NULL, null=True, blank=True, related_name="payouts")
    listing_ids = models.JSONField(default=list)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    paid_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-paid_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.amount or ''} {self.currency} to {self.seller_email or self.seller}".strip()


class ResaleAlert(models.Model):
    """Someone who asked to hear when resale tickets appear for a show ("notify me")."""

    email = models.EmailField()
    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="resale_alerts")
    language = models.CharField(max_length=8, blank=True, help_text="The language they asked in.")
    created_at = models.DateTimeField(default=timezone.now)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["email", "show"], name="one_alert_per_email_and_show")]

    def __str__(self) -> str:
        return f"{self.email} about {self.show}"


class Email(models.Model):
    """An email to one person, written with the change that causes it and sent by the task worker."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Sending"
        RETRYING = "retrying", "To retry"
        SENT = "sent", "Sent"
        FAILED = "failed", "Not delivered"

    key = models.CharField(max_length=300, unique=True, help_text="What it is about: the same key is sent once.")
    kind = models.CharField(max_length=32)
    to = models.EmailField()
    language = models.CharField(max_length=8)
    context = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="salsite_email_due")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to}"
