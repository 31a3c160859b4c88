"""The sandbox's own words in the languages SAL answers in (``lang``); English is the fallback."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "buy": "Buy resale tickets",
        "marketplace": "Resale marketplace",
        "badge": "{count} tickets from {price}",
        "badge_one": "{count} ticket from {price}",
        "available_title": "Resale tickets available",
        "available_body": "Fans are reselling {count} tickets for this show. Every ticket is checked and "
        "re-issued in your name.",
        "available_body_one": "A fan is reselling {count} ticket for this show. Every ticket is checked and "
        "re-issued in your name.",
        "see_tickets": "See resale tickets",
        "how_trigger": "How resale works",
        "how_title": "Safe resale with menta",
        "how_body": "Tickets are sold by other fans at a price capped by the organizer. When you buy, the "
        "ticket is re-issued in your name and the seller's copy stops working.",
        "list_title": "Tickets from other fans",
        "map_title": "Resale by section",
        "sell_title": "Can't make it?",
        "sell_body": "Resell your ticket safely to another fan at a fair price.",
        "sell_cta": "Sell a ticket",
        "ticket_sell_title": "Can't go?",
        "ticket_sell_body": "You can resell this ticket for up to {price}.",
        "sell_how_trigger": "How selling works",
        "sell_how_title": "Selling your ticket",
        "sell_how_body": "Set your price within the organizer's limit. When a fan buys it, your ticket is "
        "re-issued to them and you are paid out.",
        "cta_sell": "Sell",
        "cta_edit": "Edit listing",
        "cta_details": "Details",
        "cta_p2p": "Transfer to a friend",
        "cta_pending_payout_info": "Add payout details",
        "cta_manage": "Manage",
        "ticket_not_found": "Ticket not found",
        "ticket_invalid": "This ticket is no longer valid",
        "show_cancelled": "The show was cancelled",
        "ticket_used": "This ticket was already used",
        "resale_off": "Resale is not enabled for this show",
        "ticket": "Ticket",
        "section": "Section",
        "row": "Row",
        "seat": "Seat",
    },
    "es": {
        "buy": "Comprar entradas de reventa",
        "marketplace": "Mercado de reventa",
        "badge": "{count} entradas desde {price}",
        "badge_one": "{count} entrada desde {price}",
        "available_title": "Entradas de reventa disponibles",
        "available_body": "Otros fans revenden {count} entradas para esta función. Cada entrada se verifica y "
        "se emite de nuevo a tu nombre.",
        "available_body_one": "Un fan revende {count} entrada para esta función. Cada entrada se verifica y "
        "se emite de nuevo a tu nombre.",
        "see_tickets": "Ver entradas de reventa",
        "how_trigger": "Cómo funciona la reventa",
        "how_title": "Reventa segura con menta",
        "how_body": "Otros fans venden sus entradas a un precio limitado por el organizador. Al comprar, la "
        "entrada se emite a tu nombre y la copia del vendedor deja de funcionar.",
        "list_title": "Entradas de otros fans",
        "map_title": "Reventa por sector",
        "sell_title": "¿No puedes ir?",
        "sell_body": "Revende tu entrada de forma segura a otro fan a un precio justo.",
        "sell_cta": "Vender una entrada",
        "ticket_sell_title": "¿No puedes ir?",
        "ticket_sell_body": "Puedes revender esta entrada por hasta {price}.",
        "sell_how_trigger": "Cómo funciona la venta",
        "sell_how_title": "Vender tu entrada",
        "sell_how_body": "Elige tu precio dentro del límite del organizador. Cuando un fan la compre, la "
        "entrada se emite a su nombre y recibes el pago.",
        "cta_sell": "Vender",
        "cta_edit": "Editar publicación",
        "cta_details": "Detalles",
        "cta_p2p": "Transferir a un amigo",
        "cta_pending_payout_info": "Añadir datos de cobro",
        "cta_manage": "Gestionar",
        "ticket_not_found": "Entrada no encontrada",
        "ticket_invalid": "Esta entrada ya no es válida",
        "show_cancelled": "La función fue cancelada",
        "ticket_used": "Esta entrada ya fue usada",
        "resale_off": "La reventa no está habilitada para esta función",
        "ticket": "Entrada",
        "section": "Sector",
        "row": "Fila",
        "seat": "Asiento",
    },
}
DEFAULT_LANG = "en"


def language(lang: str | None) -> str:
    """The supported language closest to ``lang`` (``es-AR`` reads as ``es``)."""
    base = (lang or "").split("-")[0].lower()
    return base if base in TEXTS else DEFAULT_LANG


def plural(key: str, count: int) -> str:
    """The text for one (``<key>_one``) or for any other count (``<key>``)."""
    return f"{key}_one" if count == 1 else key


def text(lang: str, key: str, **values: Any) -> str:
    return TEXTS[language(lang)][key].format(**values)
