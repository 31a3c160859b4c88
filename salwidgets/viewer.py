"""Who sees a page: one small value per request, passed down to whatever renders SAL answers.

Everything the rendering of an answer depends on besides the answer is here: who the person is
to menta, what their signed links are bound to, the page they are on and the address menta sends
them back to, and the language. It is built once per request, at first use, and kept on the
request as ``request.sal_viewer`` (the way django-htmx keeps ``request.htmx``); the renderers
take it instead of the request, so nothing they need hides in the request's attributes.

The template tags of one page share the page's batches through it as well (``batches``: a
``sal_tickets`` loads them, each ``sal_ticket`` places one).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import get_language

from salwidgets import links, users
from salwidgets.slots import Batch

ATTRIBUTE = "sal_viewer"


@dataclass(frozen=True)
class Viewer:
    """Who sees a page, on which page of which site, in which language."""

    # Whether someone is signed in, who they are to menta (``SALWIDGETS["USER_IDENTIFIER"]``;
    # "" when signed out) and what the links made for them are bound to (``links.person_of``).
    signed_in: bool = False
    person: str = ""
    fingerprint: str = ""
    # The site as this request reached it (scheme and host), and the page the person is on (path
    # and query; for an htmx fragment, the page it is loaded into).
    origin: str = "http://localhost"
    page: str = "/"
    language: str = "en"
    # The page's batches by kind (``salwidgets.slots``): per request, never part of a key.
    batches: dict[str, Batch] = field(default_factory=dict, compare=False, repr=False)

    @property
    def key(self) -> tuple[str, str, str]:
        """What HTML kept for reuse depends on besides the answer."""
        return self.fingerprint, self.origin + self.page, self.language

    @functools.cached_property
    def return_address(self) -> str:
        """Where menta sends the person back to: their page, through ``salwidgets:back``."""
        return self.back_to(self.page)

    def back_to(self, page: str) -> str:
        """The absolute URL of ``salwidgets:back`` that returns to ``page`` (a path on this site)."""
        return f"{self.origin}{reverse('salwidgets:back')}?{urlencode({'next': page})}"

    @property
    def path(self) -> str:
        """The path of the page the person is on, without its query."""
        return urlsplit(self.page).path or "/"

    def returning_to(self, page: str) -> Viewer:
        """The same viewer, with menta sending them back to ``page`` (an API's answer is not a page
        a person returns to: the app names one)."""
        return replace(self, page=page, batches={})

    def speaking(self, language: str) -> Viewer:
        return replace(self, language=language, batches={})


def of(request: HttpRequest) -> Viewer:
    """The request's viewer, built at its first use."""
    known: Viewer | None = request.__dict__.get(ATTRIBUTE)
    if known is None:
        known = _viewer(request)
        setattr(request, ATTRIBUTE, known)
    return known


def identity(request: HttpRequest) -> tuple[str, str, str]:
    """The request's viewer's fingerprint, origin and language, as ``of(request)`` has them; a
    signed-out request's without building its viewer (an app's anonymous reads of a show come
    many a second, each served from a copy kept under them: ``salwidgets.api``)."""
    if ATTRIBUTE not in request.__dict__ and not _signed_in(request):
        return "", _origin(request), get_language()
    seen = of(request)
    return seen.fingerprint, seen.origin, seen.language


def forget(request: HttpRequest) -> None:
    """Build the request's viewer anew at its next use (its person changed)."""
    request.__dict__.pop(ATTRIBUTE, None)


def _signed_in(request: HttpRequest) -> bool:
    user: Any = getattr(request, "user", None)
    return user is not None and bool(user.is_authenticated)


def _viewer(request: HttpRequest) -> Viewer:
    user: Any = getattr(request, "user", None)
    signed_in = _signed_in(request)
    return Viewer(
        signed_in=signed_in,
        person=users.identifier(user) if signed_in else "",
        fingerprint=links.person_of(request) if signed_in else "",
        origin=_origin(request),
        page=_page(request),
        language=get_language(),
    )


def _origin(request: HttpRequest) -> str:
    """The site as the request reached it: its scheme and its host (checked against ALLOWED_HOSTS)."""
    return f"{request.scheme}://{request.get_host()}"


def _page(request: HttpRequest) -> str:
    """The page a person is on, path and query: the page itself when this is its htmx fragment;
    the home page when that is not a path on this site."""
    # The header read first: django-htmx's ``request.htmx`` reads every header of the request.
    htmx = getattr(request, "htmx", None) if "HTTP_HX_REQUEST" in request.META else None
    page = str(htmx.current_url_abs_path) if htmx and htmx.current_url_abs_path else request.get_full_path()
    return page if links.is_site_path(page) else "/"
