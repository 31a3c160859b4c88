"""What the site has handed to salwidgets for menta and not yet seen acknowledged: the outbox."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class OutboxItem(models.Model):
    """One push for menta (a ticket, a lead, an event...), stored with the change that caused it.

    ``lane`` orders items that must arrive in order (the same ticket, or an event before its
    tickets: ``after``); ``key`` names what a newer item of the same kind replaces outright.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        RETRYING = "retrying", "Retrying"
        DELIVERED = "delivered", "Delivered"
        SUPERSEDED = "superseded", "Superseded"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=32)
    key = models.CharField(max_length=400)
    lane = models.CharField(max_length=300)
    after = models.CharField(max_length=300, blank=True, help_text="A lane whose earlier items go first.")
    payload = models.JSONField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="menta's last HTTP status")
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "menta outbox item"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="salwidgets_outbox_due"),
            models.Index(fields=["lane", "status"], name="salwidgets_outbox_lane"),
            models.Index(fields=["kind", "key", "status"], name="salwidgets_outbox_key"),
            models.Index(fields=["claim"], name="salwidgets_outbox_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


# Items menta has not taken yet (nor refused for good): the queue people and alerts watch.
UNFINISHED = (OutboxItem.Status.PENDING, OutboxItem.Status.SENDING, OutboxItem.Status.RETRYING)


class WebhookDelivery(models.Model):
    """One authenticated call to the webhook receiver, recorded before its body is believed, with
    what became of it (calls that fail authentication are logged and counted, never stored).

    ``key`` is set once a delivery is authenticated and applied (or ignored): the ``webhook-id``
    header, or a digest of the body when there is none. A second delivery with the same key is a
    replay and changes nothing.
    """

    class Outcome(models.TextChoices):
        RECEIVED = "received", "Received"
        APPLIED = "applied", "Applied"
        IGNORED = "ignored", "Ignored (unknown action)"
        DUPLICATE = "duplicate", "Duplicate (a replay)"
        REJECTED = "rejected", "Rejected (malformed)"
        CONFLICT = "conflict", "Conflict (contradicts the site)"
        UNAUTHENTICATED = "unauthenticated", "Unauthenticated"
        FAILED = "failed", "Failed (to be retried)"

    webhook_id = models.CharField(max_length=200, blank=True, help_text="The webhook-id header, as sent.")
    key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    action = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    body = models.TextField(blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.RECEIVED)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.action or '?'} {self.webhook_id or self.pk}"


class Preview(models.Model):
    """No table: the permissions of the admin's SAL preview (``salwidgets.admin_urls``).

    Being staff is not enough: a person's CTAs show their tickets and orders, so only staff given
    ``preview_person`` may look a person up, and only staff given ``preview_components`` may look at
    (and refresh or purge) a show's components and menta's health. Superusers have both.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("preview_components", "Can preview a show's SAL components, refresh or purge them, and read SAL health"),
            ("preview_person", "Can preview any person's tickets, orders and CTAs"),
        ]
