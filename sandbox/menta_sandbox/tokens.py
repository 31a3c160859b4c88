"""One-time tokens: minted for the platform, redeemed once by a hosted page, then dead."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from menta_sandbox.models import OneTimeToken


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mint(user: str, method: str = "") -> tuple[str, int]:
    """A new token for ``user`` and its lifetime in seconds; only its digest is stored."""
    token = secrets.token_urlsafe(32)
    ttl = settings.SANDBOX_TOKEN_TTL
    OneTimeToken.objects.create(
        digest=_digest(token), user=user, method=method, expires_at=timezone.now() + timedelta(seconds=ttl)
    )
    return token, ttl


def redeem(token: str) -> str | None:
    """The user of a valid, unused, unexpired token, marking it used; None otherwise."""
    now = timezone.now()
    digest = _digest(token)
    claimed = OneTimeToken.objects.filter(digest=digest, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if not claimed:
        return None
    return OneTimeToken.objects.values_list("user", flat=True).get(digest=digest)
