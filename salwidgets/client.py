"""The menta API client: one method per endpoint of the contract.

Every answer goes through ``_call``, which maps the envelope and the HTTP status to
the exceptions of ``salwidgets.errors`` and hands ``data`` to a parser of
``salwidgets.wire``. Callers get typed objects, never raw dicts.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import requests
from django.core.signals import setting_changed
from django.dispatch import receiver

from salwidgets import metrics, monitoring, wire
from salwidgets.conf import CONNECT_TIMEOUT, PUSH_READ_TIMEOUT, READ_TIMEOUT, get_config
from salwidgets.errors import (
    MalformedResponse,
    MentaError,
    NotFound,
    RateLimited,
    Unauthorized,
    Unavailable,
    ValidationFailed,
)
from salwidgets.transport import RawResponse, Transport, retry_after_seconds

T = TypeVar("T")
A = TypeVar("A", wire.TicketAccess, wire.OrderAccess)

# Contract limits: callers split larger sets.
MAX_TICKETS_PER_CALL = 100
MAX_BULK_PAIRS = 50
MAX_LEADS_PER_CALL = 1000

LEAD_PATHS = {
    "ticket-leads": ("/v1/marketdata/ticket-leads", "/v1/marketdata/ticket-leads/bulk"),
    "users": ("/v1/marketdata/users", "/v1/marketdata/users/bulk"),
}


@dataclass(frozen=True)
class Exchange(Generic[T]):
    """A parsed answer with the ``data`` menta sent and the time the call took."""

    value: T
    raw: Any
    elapsed_ms: float


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _segment(value: str) -> str:
    return quote(value, safe="")


def _accept(data: Any) -> None:
    """Parser for calls whose answer carries nothing the caller needs."""


class MentaClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        push_read_timeout: float = PUSH_READ_TIMEOUT,
        leads_path_family: str = "ticket-leads",
        transport: Transport | None = None,
        **transport_options: Any,
    ) -> None:
        if leads_path_family not in LEAD_PATHS:
            raise ValueError(f"leads_path_family must be one of {', '.join(LEAD_PATHS)}")
        self.transport = transport or Transport(base_url=base_url, api_key=api_key, **transport_options)
        self.read_timeouts = (connect_timeout, read_timeout)
        self.push_timeouts = (connect_timeout, push_read_timeout)
        self.lead_path, self.bulk_lead_path = LEAD_PATHS[leads_path_family]

    @classmethod
    def from_settings(cls, *, session: requests.Session | None = None) -> MentaClient:
        config = get_config()
        return cls(
            base_url=config["BASE_URL"],
            api_key=config["API_KEY"],
            connect_timeout=config["CONNECT_TIMEOUT"],
            read_timeout=config["READ_TIMEOUT"],
            push_read_timeout=config["PUSH_READ_TIMEOUT"],
            leads_path_family=config["LEADS_PATH_FAMILY"],
            max_retries=config["MAX_RETRIES"],
            retry_budget=config["RETRY_BUDGET"],
            backoff_base=config["BACKOFF_BASE"],
            backoff_cap=config["BACKOFF_CAP"],
            max_response_bytes=config["MAX_RESPONSE_BYTES"],
            pool_size=config["POOL_SIZE"],
            session=session,
        )

    def __repr__(self) -> str:
        return f"MentaClient(base_url={self.transport.base_url!r}, api_key='***')"

    # --- the one place answers are read -----------------------------------------------------

    def _call(self, method: str, path: str, parse: Callable[[Any], T], **options: Any) -> T:
        """``_exchange``, for callers that want the parsed answer only."""
        return self._exchange(method, path, parse, **options).value

    def _exchange(
        self,
        method: str,
        path: str,
        parse: Callable[[Any], T],
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        retry: bool,
        push: bool = False,
    ) -> Exchange[T]:
        started = time.monotonic()
        failure: Exception | None = None
        try:
            return self._answer(method, path, parse, params=params, body=body, retry=retry, push=push)
        except Exception as exc:  # counted by its kind, whatever it is, and raised as it was
            failure = exc
            raise
        finally:
            seconds = time.monotonic() - started
            monitoring.observe_call(method, path, seconds, monitoring.outcome_of(failure))
            metrics.count("menta_calls")
            metrics.count("menta_ms", round(seconds * 1000))
            if failure is not None:
                metrics.count("menta_failed")

    def _answer(
        self,
        method: str,
        path: str,
        parse: Callable[[Any], T],
        *,
        params: Mapping[str, Any] | None,
        body: Any,
        retry: bool,
        push: bool,
    ) -> Exchange[T]:
        clean_params = {key: value for key, value in (params or {}).items() if value is not None}
        response = self.transport.request(
            method,
            path,
            params=clean_params,
            json=body,
            timeout=self.push_timeouts if push else self.read_timeouts,
            retry=retry,
        )
        envelope = self._envelope(response)
        if response.status >= 400 or envelope.error_message is not None:
            raise self._error(response, envelope)
        try:
            return Exchange(parse(envelope.data), envelope.data, response.elapsed_ms)
        except wire.WireError as exc:
            raise MalformedResponse(
                f"menta answer to {method} {path} has an unexpected shape: {exc}",
                status=response.status,
                request_id=response.request_id,
            ) from exc

    @staticmethod
    def _envelope(response: RawResponse) -> wire.Envelope:
        try:
            return wire.parse_envelope(json.loads(response.body))
        except (ValueError, wire.WireError) as exc:
            if response.status >= 500:
                raise Unavailable(
                    f"menta failed with HTTP {response.status}",
                    status=response.status,
                    request_id=response.request_id,
                ) from exc
            raise MalformedResponse(
                f"menta answer is not a valid envelope: {exc}",
                status=response.status,
                request_id=response.request_id,
            ) from exc

    @staticmethod
    def _error(response: RawResponse, envelope: wire.Envelope) -> MentaError:
        status = response.status
        message = envelope.error_message or f"menta answered HTTP {status}"
        kwargs: dict[str, Any] = {"status": status, "request_id": response.request_id}
        if status == 429:
            return RateLimited(message, retry_after=retry_after_seconds(response.headers), **kwargs)
        error_class: type[MentaError]
        if status in (401, 403):
            error_class = Unauthorized
        elif status == 404:
            error_class = NotFound
        elif status >= 500:
            error_class = Unavailable
        elif 400 <= status < 500:
            error_class = ValidationFailed
        else:
            error_class = MalformedResponse
        return error_class(message, **kwargs)

    # --- Smart Access Layer (contract 2) ------------------------------------------------------

    def access_layer(
        self,
        type: str,
        *,
        event_id: str | None = None,
        show_id: str | None = None,
        lang: str | None = None,
    ) -> wire.AccessLayer:
        return self.access_layer_exchange(type, event_id=event_id, show_id=show_id, lang=lang).value

    def access_layer_exchange(
        self,
        type: str,
        *,
        event_id: str | None = None,
        show_id: str | None = None,
        lang: str | None = None,
    ) -> Exchange[wire.AccessLayer]:
        """``access_layer`` with menta's answer as it came and how long it took (for previews)."""
        params = wire.access_layer_params(type, event_id, show_id, lang)
        return self._exchange("GET", "/v1/wrapper/accesslayer", wire.parse_access_layer, params=params, retry=True)

    def ticket_access(
        self, user: str, ticket_ids: Iterable[str], *, lang: str | None = None
    ) -> list[wire.TicketAccess]:
        """Status and CTAs of each ticket, in calls of at most 100 tickets."""
        return self._access(wire.ticket_access_body, wire.parse_ticket_access, user, ticket_ids, lang)

    def order_access(self, user: str, order_ids: Iterable[str], *, lang: str | None = None) -> list[wire.OrderAccess]:
        """Status and CTAs of each order, in calls of at most 100 orders."""
        return self._access(wire.order_access_body, wire.parse_order_access, user, order_ids, lang)

    def _access(
        self,
        body: Callable[[str, Sequence[str]], Any],
        parse: Callable[[Any], list[A]],
        user: str,
        ids: Iterable[str],
        lang: str | None,
    ) -> list[A]:
        result: list[A] = []
        for chunk in _chunks(list(ids), MAX_TICKETS_PER_CALL):
            result += self._call(
                "POST",
                "/v1/wrapper/accesslayer",
                parse,
                params=wire.lang_params(lang),
                body=body(user, chunk),
                retry=True,
            )
        return result

    def access_layer_bulk(
        self, type: str, pairs: Iterable[tuple[str, str]], *, lang: str | None = None
    ) -> list[wire.ShowComponents]:
        """Components for many (event id, show id) pairs, in calls of at most 50 pairs."""
        result: list[wire.ShowComponents] = []
        for chunk in _chunks(list(pairs), MAX_BULK_PAIRS):
            result += self._call(
                "POST",
                "/v1/wrapper/accesslayer/bulk",
                wire.parse_bulk,
                params=wire.bulk_params(type, lang),
                body=wire.bulk_body(chunk),
                retry=True,
            )
        return result

    # --- one-time token (contract 3) ----------------------------------------------------------

    def one_time_token(self, user: str, *, method: str | None = None) -> wire.OneTimeToken:
        # Not retried: a token minted by a lost answer would be wasted, and the click can be repeated.
        params = wire.token_params(user, method)
        return self._call("GET", "/v1/auth/oneTimeToken", wire.parse_token, params=params, retry=False)

    # --- marketplace URLs (contract 4) --------------------------------------------------------

    def _url(self, path: str, params: Mapping[str, Any], trust: tuple[str, str] | None = None) -> str:
        """A marketplace URL; with ``trust`` (method, user) it already carries the person's token.

        A trusted call is not retried, like a token call: the token of a lost answer is wasted.
        """
        if trust is None:
            return self._call("GET", path, wire.parse_url, params=params, retry=True)
        params = {**params, **wire.login_trust_params(*trust)}
        return self._call("GET", path, wire.parse_url, params=params, retry=False)

    def buying_flow_url(
        self,
        event_id: str,
        show_id: str,
        *,
        return_to: str,
        lang: str | None = None,
        ticket_option_id: str | None = None,
        trust: tuple[str, str] | None = None,
    ) -> str:
        return self._url(
            "/v1/marketplace/buyingflow/url/entrypoint",
            wire.buying_flow_params(event_id, show_id, return_to, lang, ticket_option_id),
            trust,
        )

    def selling_flow_url(self, ticket_id: str, *, lang: str | None = None, trust: tuple[str, str] | None = None) -> str:
        return self._url("/v1/marketplace/sellingflow/url/entrypoint", wire.ticket_params(ticket_id, lang), trust)

    def order_selling_flow_url(
        self, order_id: str, *, lang: str | None = None, trust: tuple[str, str] | None = None
    ) -> str:
        return self._url("/v1/marketplace/sellingflow/url/order/entrypoint", wire.order_params(order_id, lang), trust)

    def selling_details_url(
        self, ticket_id: str, *, seller_email: str | None = None, trust: tuple[str, str] | None = None
    ) -> str:
        return self._url(
            "/v1/marketplace/sellingflow/details/url", wire.selling_details_params(ticket_id, seller_email), trust
        )

    def sale_public_url(self, ticket_id: str, *, lang: str) -> str:
        return self._url("/v1/events/tickets/salePublicUrl", wire.ticket_params(ticket_id, lang))

    def listing_for_ticket(self, ticket_id: str, *, seller_email: str | None = None) -> wire.Listing:
        return self._call(
            "GET",
            f"/v1/marketplace/listings/ticket/{_segment(ticket_id)}",
            wire.parse_listing,
            params=wire.seller_params(seller_email),
            retry=True,
        )

    def terminate_listing(self, ticket_id: str) -> None:
        self._call("DELETE", f"/v1/marketplace/items/ticket/{_segment(ticket_id)}", _accept, retry=False)

    # --- build your own buying flow (contract 4) ----------------------------------------------

    def listed_tickets(
        self, event_id: str, *, show_id: str | None = None
    ) -> tuple[tuple[wire.ListedTicket, ...], tuple[wire.Dropped, ...]]:
        """The tickets listed for resale for an event (one show's with ``show_id``), and those dropped."""
        return self._call(
            "GET",
            f"/v1/marketplace/items/events/{_segment(event_id)}/listedTickets",
            wire.parse_listed_tickets,
            params=wire.show_params(show_id),
            retry=True,
        )

    def buy_intention(self, listing_ids: Sequence[str], user: str) -> wire.BuyIntention:
        """Hold listings for ``user`` for a while; the answer's URL is their checkout."""
        body = wire.buy_intention_body(listing_ids, user)
        return self._call(
            "POST", "/v1/marketplace/buyingflow/buyIntention", wire.parse_buy_intention, body=body, retry=False
        )

    def checkout_url(self, listing_ids: Sequence[str], *, return_url: str, trust: tuple[str, str] | None = None) -> str:
        """The checkout of listings bought together; menta sends the buyer to ``return_url`` after.

        With ``trust`` (method, user) the URL already carries the buyer's token (Login Trust).
        Refused with ValidationFailed (400 or 409, menta's message) when they cannot be bought together.
        """
        params = wire.checkout_params(return_url, trust)
        return self._call(
            "POST",
            "/v1/marketplace/checkout/url",
            wire.parse_url,
            params=params,
            body=wire.checkout_body(listing_ids),
            retry=False,
        )

    # --- what the platform pushes (contract 5) ------------------------------------------------

    # Each push method takes the typed push (``wire.EventPush`` and the others), or its body as
    # ``to_wire()`` made it (what the outbox stores for sending).

    def create_event(self, event: wire.EventPush | wire.Body) -> None:
        self._call("POST", "/v1/events", _accept, body=wire.body(event), retry=False, push=True)

    def update_event(self, event: wire.EventPush | wire.Body) -> None:
        """Full replace of an event (an upsert, so it is retried)."""
        self._call("PUT", "/v1/events", _accept, body=wire.body(event), retry=True, push=True)

    def cancel_event(self, event_id: str, *, show_id: str | None = None) -> None:
        self._call(
            "POST",
            f"/v1/events/{_segment(event_id)}/cancellation",
            _accept,
            params=wire.show_params(show_id),
            retry=False,
            push=True,
        )

    def define_rules(self, rules: Sequence[wire.ResaleRule | wire.Body]) -> None:
        self._call("POST", "/v1/events/rules", _accept, body=wire.bodies(rules), retry=True, push=True)

    def create_tickets(self, tickets: Sequence[wire.TicketPush | wire.Body]) -> None:
        """Queue tickets for asynchronous creation (for volume)."""
        self._call("POST", "/v1/tickets", _accept, body=wire.bodies(tickets), retry=False, push=True)

    def sync_tickets(self, tickets: Sequence[wire.TicketPush | wire.Body]) -> None:
        """Create tickets synchronously (menta allows 60 such calls a minute)."""
        self._call("POST", "/v1/sync/tickets", _accept, body=wire.bodies(tickets), retry=False, push=True)

    def update_ticket(self, ticket_id: str, ticket: wire.TicketPush | wire.Body) -> None:
        path = f"/v1/tickets/{_segment(ticket_id)}"
        self._call("PUT", path, _accept, body=wire.body(ticket), retry=True, push=True)

    def delete_ticket(self, ticket_id: str) -> None:
        self._call("DELETE", f"/v1/tickets/{_segment(ticket_id)}", _accept, retry=False, push=True)

    def admit_ticket(self, ticket_id: str) -> None:
        self._call("POST", f"/v1/tickets/{_segment(ticket_id)}/eventAdmission", _accept, retry=False, push=True)

    def admit_tickets(self, admissions: Sequence[wire.Admission | wire.Body]) -> None:
        """Register admissions."""
        body = wire.bodies(admissions)
        self._call("POST", "/v1/tickets/batch/eventAdmission", _accept, body=body, retry=False, push=True)

    # --- market data (contract 6) -------------------------------------------------------------

    def update_inventory(
        self, event_id: str, inventory: wire.Inventory | wire.Body, *, show_id: str | None = None
    ) -> None:
        self._call(
            "PUT",
            f"/v1/marketdata/events/{_segment(event_id)}/inventory",
            _accept,
            params=wire.show_params(show_id),
            body=wire.body(inventory),
            retry=True,
            push=True,
        )

    def update_inventory_details(self, event_id: str, items: Sequence[Mapping[str, Any]]) -> None:
        self._call(
            "PUT",
            f"/v1/marketdata/events/{_segment(event_id)}/inventory/details",
            _accept,
            body=wire.inventory_details_body(items),
            retry=True,
            push=True,
        )

    def send_lead(self, lead: wire.Lead | wire.Body) -> None:
        """Send one lead; an upsert on (buyer identifier, event, show), so it is retried."""
        self._call("POST", self.lead_path, _accept, body=wire.body(lead), retry=True, push=True)

    def send_leads(self, leads: Sequence[wire.Lead | wire.Body]) -> wire.BulkLeadResult:
        """Send leads in calls of at most 1000; rejected indexes refer to ``leads``."""
        result = wire.BulkLeadResult(accepted=0)
        for start in range(0, len(leads), MAX_LEADS_PER_CALL):
            chunk = wire.bodies(leads[start : start + MAX_LEADS_PER_CALL])
            result += self._call(
                "POST",
                self.bulk_lead_path,
                functools.partial(wire.parse_bulk_leads, offset=start),
                body=chunk,
                retry=True,
                push=True,
            )
        return result


@receiver(setting_changed, dispatch_uid="salwidgets.client")
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "SALWIDGETS":
        get_client.cache_clear()


@functools.cache
def get_client() -> MentaClient:
    """The process-wide client built from settings (its connection pool is shared)."""
    return MentaClient.from_settings()
