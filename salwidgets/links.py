"""Links to menta that are safe to put in a page: encrypted, expiring, bound to one person.

An upstream URL never reaches the page as it is. It is wrapped in a reference to the site's
own redirect view (``salwidgets:go``); only when the person clicks does that view check the
reference and mint a one-time token for them. The reference is opaque: encrypted and
authenticated (Fernet, with keys derived from SECRET_KEY and SECRET_KEY_FALLBACKS), so neither
the upstream URL nor the person can be read from the page or changed.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from salwidgets.conf import MENTA_DOMAIN, get_config

SALT = "salwidgets.links"


class LinkError(Exception):
    """A reference that must not be followed; ``status`` is the HTTP status to answer with."""

    status = 400


class TamperedLink(LinkError):
    pass


class ExpiredLink(LinkError):
    status = 410


class WrongPerson(LinkError):
    status = 403


class TargetNotAllowed(LinkError):
    pass


def allowed_hosts() -> list[str]:
    config = get_config()
    if config["LINK_HOSTS"]:
        return [host.lower() for host in config["LINK_HOSTS"]]
    base = urlsplit(config["BASE_URL"]).hostname or ""
    return [base.lower(), MENTA_DOMAIN]


# What an allowed URL's authority may be: a host name of letters, digits, hyphens and dots (IDNA
# names in their xn-- form), or an IPv4 address, with an optional port. No credentials, no
# backslashes, no percent-escapes, no brackets: forms that browsers and parsers read differently.
AUTHORITY = re.compile(
    r"(?P<host>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)(?::[0-9]{1,5})?"
)


def is_allowed(url: str) -> bool:
    """True for an http(s) URL to an allowed host, written so that every parser reads the same host.

    Refused on their own: control characters and spaces anywhere, backslashes anywhere,
    credentials, escapes or anything but a plain host name and port in the authority.
    """
    if "\\" in url or " " in url or not url.isprintable():
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not url.lower().startswith(f"{parts.scheme}://"):
        return False
    authority = AUTHORITY.fullmatch(parts.netloc.lower())
    if authority is None:
        return False
    host = authority["host"]
    return any(host == entry or (entry.startswith(".") and host.endswith(entry)) for entry in allowed_hosts())


def is_site_path(value: object) -> bool:
    """Whether ``value`` is a path on this site (``/...``), never a way to another host."""
    return (
        isinstance(value, str) and value.startswith("/") and url_has_allowed_host_and_scheme(value, allowed_hosts=None)
    )


def person_of(request: HttpRequest) -> str:
    """A fingerprint of the signed-in person ('' when anonymous), not their id in clear."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    return salted_hmac(SALT, f"{user.pk}:{user.get_session_auth_hash()}").hexdigest()[:24]


@functools.lru_cache(maxsize=4)
def _cipher(secrets: tuple[str, ...]) -> MultiFernet:
    """Encrypts with a key from the first secret; opens references made with any of them."""
    keys = [salted_hmac(SALT, "reference-key", secret=secret, algorithm="sha256").digest() for secret in secrets]
    return MultiFernet([Fernet(base64.urlsafe_b64encode(key)) for key in keys])


def cipher() -> MultiFernet:
    return _cipher((settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS))


@dataclass(frozen=True)
class Reference:
    """What a signed link leads to: the upstream URL, the way back, and the flow it enters.

    ``flow`` names the marketplace URL endpoint that can give the same page with the person
    already signed in (Login Trust, contract 3): ``("buy", event id, show id)``,
    ``("sell", ticket id)``, ``("order", order id)`` or ``("details", ticket id)``.
    """

    url: str
    return_to: str | None = None
    flow: tuple[str, ...] = ()


FLOW_ARITY = {"buy": 2, "sell": 1, "order": 1, "details": 1}
LOGIN_TRUST, ONE_TIME_TOKEN = "login-trust", "one-time-token"
LOGIN_METHODS = (LOGIN_TRUST, ONE_TIME_TOKEN)


def sign(person: str, url: str, *, return_to: str | None = None, flow: tuple[str, ...] = ()) -> str:
    """The site URL that leads to ``url`` for ``person`` (``person_of`` their request); the caller
    checked ``is_allowed``."""
    payload: dict[str, Any] = {"u": url, "p": person}
    if return_to:
        payload["r"] = return_to
    if flow:
        payload["f"] = list(flow)
    plain = zlib.compress(json.dumps(payload, separators=(",", ":")).encode())
    reference = cipher().encrypt(plain).decode().rstrip("=")
    return f"{reverse('salwidgets:go')}?{urlencode({'ref': reference})}"


def _decrypt(reference: str) -> dict[str, Any]:
    token = (reference + "=" * (-len(reference) % 4)).encode()
    try:
        plain = cipher().decrypt(token, ttl=get_config()["LINK_MAX_AGE"])
    except InvalidToken:
        try:
            cipher().decrypt(token)
        except InvalidToken:
            raise TamperedLink(_("This link is not valid.")) from None
        raise ExpiredLink(_("This link has expired.")) from None
    try:
        payload = json.loads(zlib.decompress(plain))
    except (zlib.error, ValueError):
        raise TamperedLink(_("This link is not valid.")) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), str):
        raise TamperedLink(_("This link is not valid."))
    return payload


def open_reference(request: HttpRequest, reference: str) -> Reference:
    """What a reference made by ``sign`` for this person leads to."""
    payload = _decrypt(reference)
    if not constant_time_compare(str(payload.get("p", "")), person_of(request)):
        raise WrongPerson(_("This link was made for someone else."))
    if not is_allowed(payload["u"]):
        raise TargetNotAllowed(_("This link leads somewhere it may not."))
    return_to = payload.get("r")
    return Reference(payload["u"], return_to if isinstance(return_to, str) else None, _flow(payload.get("f")))


def _flow(value: Any) -> tuple[str, ...]:
    """A reference's flow, as ``sign`` wrote it; anything else is no flow."""
    if not isinstance(value, list) or not value or not all(isinstance(part, str) and part for part in value):
        return ()
    return tuple(value) if len(value) == FLOW_ARITY.get(value[0], -1) + 1 else ()


def with_params(url: str, **params: str) -> str:
    """``url`` with ``params`` added to its query, keeping what it has (and its own values)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {name for name, _ in query}
    query += [(name, value) for name, value in params.items() if name not in present]
    return urlunsplit(parts._replace(query=urlencode(query)))
