"""The webhook receiver: what menta tells the site (contract 8), recorded, checked, then dispatched.

``POST <prefix>/webhooks`` (include ``salwidgets.webhook_urls``).

1. Authentication, before anything is stored: the shared secret in ``X-Menta-Secret`` and the
   allowed addresses of the ownership endpoint (``VERIFY_SECRET``, ``VERIFY_ALLOWED_IPS``), and,
   when ``WEBHOOK_SIGNING_SECRETS`` is set, a Standard Webhooks signature made with one of them. A
   caller that fails gets the site's 404, as for a URL that does not exist, and is logged in one
   line and counted (``webhooks_refused``), never stored.
2. The call is stored as a ``WebhookDelivery`` (a body over ``WEBHOOK_MAX_BYTES`` is answered 413
   and stored without it) before anything in it is believed.
3. Replays: a delivery whose ``webhook-id`` (or, without one, body) was applied already is
   acknowledged and changes nothing.
4. The body: malformed or over-deep JSON, or a known action missing a field, is refused with 400
   and a message; an action this version does not know is acknowledged and ignored.
5. Dispatch: the matching signal of ``salwidgets.signals``, in one transaction with the record of
   the outcome. ``signals.Conflict`` answers 409 (recorded as a conflict, logged as an error),
   ``signals.Unprocessable`` 422; any other exception rolls it all back and answers 500, so menta
   retries.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from standardwebhooks import Webhook, WebhookVerificationError

from salwidgets import cache, metrics, monitoring, ownership, signals, wire
from salwidgets.conf import get_config
from salwidgets.models import WebhookDelivery
from salwidgets.privacy import redact

logger = logging.getLogger("salwidgets.webhooks")

Outcome = WebhookDelivery.Outcome
ID_HEADER = "webhook-id"


def _answer(delivery: WebhookDelivery, outcome: str, status: int, message: str = "") -> JsonResponse:
    # The action as a label only when it is one the receiver knows: a caller's text must not
    # grow the number of series.
    action = delivery.action if delivery.action in wire.WEBHOOK_PARSERS else ("other" if delivery.action else "")
    monitoring.WEBHOOKS.labels(action=action, outcome=outcome).inc()
    delivery.outcome = outcome
    delivery.error = message if status >= 400 or outcome == Outcome.IGNORED else ""
    delivery.save(update_fields=["outcome", "error", "action", "key"])
    body: dict[str, Any] = {"status": outcome}
    if message:
        body["message"] = message
    return JsonResponse(body, status=status)


def _unauthenticated(request: HttpRequest, body: bytes) -> str | None:
    """Why the caller is not menta, or None when it is."""
    if ownership.refusal(request) is not None:
        return "no or wrong X-Menta-Secret, or an address not allowed"
    secrets = get_config()["WEBHOOK_SIGNING_SECRETS"]
    if not secrets:
        return None
    headers = {name: request.headers.get(name, "") for name in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    reason = "no signature header"
    for secret in secrets:
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
        except WebhookVerificationError as exc:
            reason = f"signature: {exc}"
        except ValueError:  # undecodable body, or a signature header that is not "v1,<base64>"
            reason = "signature: malformed webhook-signature or body"
        else:
            return None
    return reason


def _claim(delivery: WebhookDelivery, key: str) -> bool:
    """Take ``key`` for this delivery; False when a delivery with it was applied (or ignored) already.

    A delivery that failed leaves its key to the retry that follows it.
    """
    WebhookDelivery.objects.filter(key=key, outcome=Outcome.FAILED).update(key=None)
    delivery.key = key
    try:
        with transaction.atomic():
            delivery.save(update_fields=["key"])
    except IntegrityError:
        delivery.key = None
        return False
    return True


def forget_answers(payload: wire.WebhookPayload) -> None:
    """Drop the cached SAL answers a notification makes wrong: the show's components and the
    CTAs of the people it names, in every language and every process."""
    if isinstance(payload, wire.ListingChanged):
        cache.forget_show(payload.event_id, payload.show_id)
        if payload.seller_email:
            cache.forget_person(payload.seller_email)
    elif isinstance(payload, wire.TicketResold):
        for email in (payload.new_owner_email, payload.old_owner_email):
            if email:
                cache.forget_person(email)


def _stored_text(body: bytes) -> str:
    """The body as text any database stores: undecodable bytes and NUL (which PostgreSQL refuses
    in text) become U+FFFD."""
    return body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def _record(request: HttpRequest, body: str) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        webhook_id=request.headers.get(ID_HEADER, "").replace("\x00", "")[:200],
        remote_addr=ownership.client_address(request)[:64],
        body=body,
    )


@csrf_exempt
def receive(request: HttpRequest) -> HttpResponse:
    body = request.body
    refused = _unauthenticated(request, body)
    if refused is not None:
        # Nothing of an unauthenticated call is stored: it could fill the database.
        metrics.count("webhooks_refused")
        logger.warning(
            "Webhook call refused from %s (%d bytes): %s", ownership.client_address(request), len(body), refused
        )
        raise Http404
    limit = get_config()["WEBHOOK_MAX_BYTES"]
    if len(body) > limit:
        delivery = _record(request, "")
        logger.warning("Webhook %s rejected: a body of %d bytes, over %d", delivery.pk, len(body), limit)
        return _answer(delivery, Outcome.REJECTED, 413, f"the body is {len(body)} bytes, over the limit of {limit}")
    delivery = _record(request, _stored_text(body))
    if request.method != "POST":
        response = _answer(delivery, Outcome.REJECTED, 405, "only POST is allowed")
        response["Allow"] = "POST"
        return response
    try:
        note = wire.parse_notification(json.loads(body))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        if isinstance(exc, wire.WireError):
            message = str(exc)
        elif isinstance(exc, RecursionError):
            message = "the body's JSON is nested too deep"
        else:
            message = "the body is not valid JSON"
        logger.warning("Webhook %s rejected: %s", delivery.pk, message)
        return _answer(delivery, Outcome.REJECTED, 400, message)
    delivery.action = note.action[:100]
    parse = wire.WEBHOOK_PARSERS.get(note.action)
    if parse is None:
        return _answer(delivery, Outcome.IGNORED, 200, f"action {note.action!r} is not handled")
    try:
        payload = parse(note)
    except wire.WireError as exc:
        logger.warning("Webhook %s (%s) rejected: %s", delivery.pk, note.action, redact(exc))
        return _answer(delivery, Outcome.REJECTED, 400, str(exc))
    return _apply(delivery, payload, _key(delivery, body))


def _key(delivery: WebhookDelivery, body: bytes) -> str:
    return delivery.webhook_id or f"sha256:{hashlib.sha256(body).hexdigest()}"


def _apply(delivery: WebhookDelivery, payload: wire.WebhookPayload, key: str) -> JsonResponse:
    """Apply an authenticated, parsed delivery once (a replay of one applied is a duplicate)."""
    if not _claim(delivery, key):
        return _answer(delivery, Outcome.DUPLICATE, 200)
    try:
        with transaction.atomic():
            signals.BY_PAYLOAD[type(payload)].send(sender=WebhookDelivery, delivery=delivery, payload=payload)
            response = _answer(delivery, Outcome.APPLIED, 200)
    except signals.Conflict as exc:
        logger.error("Webhook %s (%s) contradicts the site, not applied: %s", delivery.pk, delivery.action, redact(exc))
        delivery.key = None
        return _answer(delivery, Outcome.CONFLICT, 409, str(exc))
    except signals.Unprocessable as exc:
        logger.warning("Webhook %s (%s) not applied: %s", delivery.pk, delivery.action, redact(exc))
        delivery.key = None
        return _answer(delivery, Outcome.REJECTED, 422, str(exc))
    except Exception as exc:
        logger.exception("Webhook %s (%s) failed; menta will retry it", delivery.pk, delivery.action)
        delivery.key = None
        _answer(delivery, Outcome.FAILED, 500, f"{type(exc).__name__}: {exc}")
        return JsonResponse({"status": Outcome.FAILED, "message": "not applied; retry later"}, status=500)
    forget_answers(payload)
    return response


AGAIN = (Outcome.FAILED, Outcome.CONFLICT)


def apply_again(delivery: WebhookDelivery) -> str:
    """Apply a stored delivery that failed or contradicted the site once more (after someone put
    the site right); its new outcome. Other outcomes are final and stay as they are."""
    if delivery.outcome not in AGAIN:
        return delivery.outcome
    body = delivery.body.encode()
    try:
        note = wire.parse_notification(json.loads(body))
        payload = wire.WEBHOOK_PARSERS[note.action](note)
    except (ValueError, KeyError, RecursionError) as exc:  # it was read before: only an edited body fails
        _answer(delivery, Outcome.REJECTED, 400, f"the stored body no longer reads: {exc}")
        return delivery.outcome
    _apply(delivery, payload, _key(delivery, body))
    return delivery.outcome
