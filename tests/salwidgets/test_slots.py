"""``salwidgets.slots``: many items from one call; what is not at hand waits in a slot for a loader."""

from __future__ import annotations

from bs4 import BeautifulSoup
from django.utils.safestring import SafeString

from salwidgets import slots


def test_an_item_at_hand_renders_and_one_that_waits_leaves_its_slot() -> None:
    batch = slots.Batch(
        "ticket", lambda item_id: SafeString(f"<b>{item_id}</b>"), frozenset({"T2"}), ("/sal/fragments/tickets/?id=T2",)
    )

    slot = BeautifulSoup(batch.item("T2"), "html.parser").div

    assert batch.item("T1") == "<b>T1</b>"
    assert slot["id"] == slots.slot_id("ticket", "T2") and slot.get_text() == ""
    loader = BeautifulSoup(batch.loader(), "html.parser").div
    assert loader["hx-get"] == "/sal/fragments/tickets/?id=T2" and loader.has_attr("hidden")


def test_a_batch_with_nothing_waiting_has_no_loader() -> None:
    assert slots.Batch("order", lambda item_id: SafeString("")).loader() == ""


def test_slot_ids_are_stable_per_kind_and_item() -> None:
    assert slots.slot_id("ticket", "T1") == slots.slot_id("ticket", "T1")
    assert len({slots.slot_id("ticket", "T1"), slots.slot_id("order", "T1"), slots.slot_id("ticket", "T2")}) == 3


def test_the_fragment_fills_each_slot_out_of_band() -> None:
    html = BeautifulSoup(slots.out_of_band("show", {"e/s1": SafeString("<a>one</a>"), "e/s2": ""}), "html.parser")

    assert [(div["id"], div["hx-swap-oob"], div.get_text()) for div in html.select("div")] == [
        (slots.slot_id("show", "e/s1"), "true", "one"),
        (slots.slot_id("show", "e/s2"), "true", ""),
    ]
    assert slots.fragment_url("salwidgets:shows", "show", ["e/s1", "e/s2"]) == (
        "/sal/fragments/shows/?show=e%2Fs1&show=e%2Fs2"
    )


def test_each_group_of_waiting_items_gets_its_own_loader() -> None:
    urls = slots.fragment_urls("salwidgets:tickets", "id", [("T1", "T2"), ("T3",)])
    batch = slots.Batch("ticket", lambda item_id: SafeString(""), frozenset({"T1", "T2", "T3"}), urls)

    loaders = BeautifulSoup(batch.loader(), "html.parser").select("div.sal-loader")

    assert [loader["hx-get"] for loader in loaders] == [
        "/sal/fragments/tickets/?id=T1&id=T2",
        "/sal/fragments/tickets/?id=T3",
    ]
