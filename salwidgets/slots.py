"""Many SAL items on one page from one call: a batch is loaded once, each item fills its slot.

When items are not at hand, each renders an empty slot and the batch renders a loader for each
group of them (``answers.groups``, so that no URL grows with their number); htmx fetches each
group's fragment, whose items replace the slots out of band. A page's batches are kept on its
viewer (``salwidgets.viewer``), by kind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe


def slot_id(kind: str, item_id: str) -> str:
    return f"sal-{kind}-{hashlib.sha256(item_id.encode()).hexdigest()[:16]}"


@dataclass
class Batch:
    """The answers for one kind of item on a page (``ticket``, ``order`` or ``show``)."""

    kind: str
    render_item: Callable[[str], SafeString]
    waiting: frozenset[str] = frozenset()  # items not at hand: their slots wait for a loader
    loader_urls: tuple[str, ...] = ()

    def item(self, item_id: str) -> SafeString:
        if item_id not in self.waiting:
            return self.render_item(item_id)
        return mark_safe(
            f'<div id="{slot_id(self.kind, item_id)}" class="sal-slot sal-slot--{self.kind}" aria-live="polite"></div>'
        )

    def loader(self) -> SafeString:
        if not self.loader_urls:
            return SafeString("")
        return mark_safe(render_to_string("salwidgets/loader.html", {"urls": self.loader_urls}))


def fragment_url(name: str, param: str, ids: Iterable[str]) -> str:
    return f"{reverse(name)}?{urlencode([(param, item_id) for item_id in ids])}"


def fragment_urls(name: str, param: str, groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    """One fragment URL per group of ids."""
    return tuple(fragment_url(name, param, group) for group in groups)


def out_of_band(kind: str, items: dict[str, Any]) -> str:
    """The fragment that fills the slots: each item replaces its slot out of band."""
    slots = [(slot_id(kind, item_id), html) for item_id, html in items.items()]
    return render_to_string("salwidgets/slots.html", {"slots": slots, "kind": kind})
