"""The sandbox's state: what the platform pushed, and what people did in the hosted flows."""

from __future__ import annotations

from django.db import models


class Event(models.Model):
    external_id = models.CharField(max_length=200, unique=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    data = models.JSONField(default=dict)
    cancelled = models.BooleanField(default=False)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.external_id


class Show(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="shows")
    show_id = models.CharField(max_length=200)
    name = models.CharField(max_length=300, blank=True)
    starts_at = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict)
    cancelled = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "show_id"], name="unique_show")]


class Rule(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rules")
    show_id = models.CharField(max_length=200, blank=True, default="")
    ticket_option_id = models.CharField(max_length=200, blank=True, default="")
    price_type_id = models.CharField(max_length=200, blank=True, default="")
    rule_type = models.CharField(max_length=50)
    rules = models.JSONField(default=dict)
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "show_id", "ticket_option_id", "price_type_id", "rule_type"],
                name="unique_rule_scope",
            )
        ]


class Ticket(models.Model):
    ticket_id = models.CharField(max_length=200, unique=True)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="tickets")
    show_id = models.CharField(max_length=200, blank=True)
    holder_email = models.CharField(max_length=320, blank=True, db_index=True)
    holder_id = models.CharField(max_length=200, blank=True, db_index=True)
    order_id = models.CharField(max_length=200, blank=True, db_index=True)
    ticket_option_id = models.CharField(max_length=200, blank=True)
    price_type_id = models.CharField(max_length=200, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    currency = models.CharField(max_length=3, blank=True)
    section = models.CharField(max_length=100, blank=True)
    row = models.CharField(max_length=100, blank=True)
    seat = models.CharField(max_length=100, blank=True)
    data = models.JSONField(default=dict)
    deleted = models.BooleanField(default=False)
    admitted_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return self.ticket_id


class Listing(models.Model):
    ACTIVE, SOLD, WITHDRAWN = "ACTIVE", "SOLD", "WITHDRAWN"
    STATUSES = [(ACTIVE, "Active"), (SOLD, "Sold"), (WITHDRAWN, "Withdrawn")]

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="listings")
    seller_email = models.CharField(max_length=320, db_index=True)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=STATUSES, default=ACTIVE)
    buyer_email = models.CharField(max_length=320, blank=True)
    payout_details = models.CharField(max_length=200, blank=True)
    withdrawn_reason = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    sold_at = models.DateTimeField(null=True)
    paid_at = models.DateTimeField(null=True)
    # Listings with the same pack id are sold together only (a PACK); blank: a SINGLE listing.
    pack_id = models.CharField(max_length=40, blank=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]

    @property
    def public_id(self) -> str:
        return f"lst_{self.pk}"


class BuyIntention(models.Model):
    """Listings a buyer is about to check out: made by the buy intention and checkout URL calls
    (contract 4); a buy intention's listings are held for its buyer until it expires."""

    public_id = models.CharField(max_length=40, unique=True)
    listings = models.ManyToManyField(Listing, related_name="intentions")
    user = models.CharField(max_length=320, blank=True)
    holds = models.BooleanField(default=False)
    return_url = models.URLField(max_length=2000, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True)


class Lead(models.Model):
    identifier = models.CharField(max_length=320)
    event_id = models.CharField(max_length=200)
    show_id = models.CharField(max_length=200)
    type = models.CharField(max_length=20)
    data = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["identifier", "event_id", "show_id"], name="unique_lead")]


class Inventory(models.Model):
    SUMMARY, DETAILS = "summary", "details"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="inventory")
    show_id = models.CharField(max_length=200, blank=True, default="")
    kind = models.CharField(max_length=10)
    data = models.JSONField(default=dict)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "show_id", "kind"], name="unique_inventory")]


class OneTimeToken(models.Model):
    """Only a digest of the token is stored; the token itself is shown once, to the platform."""

    digest = models.CharField(max_length=64, unique=True)
    user = models.CharField(max_length=320)
    method = models.CharField(max_length=50, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True)


class OutgoingWebhook(models.Model):
    """A notification for the platform (contract 8), kept and retried until it is acknowledged.

    ``body`` is the exact text sent and signed: every retry sends the same bytes.
    """

    webhook_id = models.CharField(max_length=64, unique=True)
    action = models.CharField(max_length=100)
    body = models.TextField()
    created = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_status = models.PositiveIntegerField(null=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True)
    gave_up = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
