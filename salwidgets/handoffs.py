"""Sign-in hand-offs to menta, made at a click and never cached: a one-time token, Login Trust's
URL of a flow, and the checkout of listings a person chose."""

from __future__ import annotations

import logging
from collections.abc import Callable

from salwidgets import calls, links, wire
from salwidgets.client import get_client
from salwidgets.conf import get_config
from salwidgets.errors import MentaError, Unavailable
from salwidgets.privacy import redact

logger = logging.getLogger("salwidgets")


def one_time_token(person: str) -> wire.OneTimeToken | None:
    """A fresh token for ``person`` (never cached), or None when menta cannot give one now."""
    try:
        return calls.guarded(lambda: get_client().one_time_token(person))
    except calls.Skipped:
        return None
    except MentaError as exc:
        logger.warning("No one-time token for a resale link: %s", redact(exc))
        return None


def checkout_url(listing_ids: list[str], *, person: str | None, return_url: str) -> str:
    """The checkout of listings the person chose (signed in at menta by Login Trust when the site
    uses it); raises ValidationFailed with menta's message when they cannot be bought together,
    and MentaError when menta cannot answer."""
    trust = login_trust(person) if person else None
    try:
        return calls.guarded(lambda: get_client().checkout_url(listing_ids, return_url=return_url, trust=trust))
    except calls.Skipped:
        raise Unavailable("menta is not being called for a while (the circuit breaker is open)") from None


def login_trust(person: str) -> tuple[str, str] | None:
    """(method, user) menta is told by Login Trust, when the site uses it and ``person`` is an email."""
    config = get_config()
    if config["LOGIN_METHOD"] != links.LOGIN_TRUST or "@" not in person:
        return None
    return config["LOGIN_TRUST_METHOD"], person


def trusted_url(flow: tuple[str, ...], trust: tuple[str, str], *, lang: str, return_to: str | None) -> str | None:
    """The page of ``flow`` with the person ``trust`` names signed in, from one Login Trust call,
    or None when menta cannot give it now (see ``links.Reference`` for the flows)."""
    client, person = get_client(), trust[1]
    kind, *ids = flow
    flows: dict[str, Callable[[], str]] = {
        "buy": lambda: client.buying_flow_url(ids[0], ids[-1], return_to=return_to or "", lang=lang, trust=trust),
        "sell": lambda: client.selling_flow_url(ids[0], lang=lang, trust=trust),
        "order": lambda: client.order_selling_flow_url(ids[0], lang=lang, trust=trust),
        "details": lambda: client.selling_details_url(ids[0], seller_email=person, trust=trust),
    }
    try:
        return calls.guarded(flows[kind])
    except calls.Skipped:
        return None
    except MentaError as exc:
        logger.warning("No Login Trust URL for a %s link: %s", kind, redact(exc))
        return None
