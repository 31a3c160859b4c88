"""``salwidgets.privacy``: logs name no one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from salwidgets import privacy


def test_an_address_becomes_its_digest_wherever_it_is() -> None:
    text = privacy.redact("invalid buyer 'Fan.One+x@Example.com' (email:fan.one+x@example.com|evt_1|show_1)")

    mark = f"<email {privacy.digest('fan.one+x@example.com')}>"
    assert text == f"invalid buyer '{mark}' (email:{mark}|evt_1|show_1)"


@given(
    before=st.text(max_size=30),
    local=st.from_regex(r"[a-z0-9._+-]{1,20}", fullmatch=True),
    domain=st.from_regex(r"[a-z0-9-]{1,15}\.[a-z]{2,6}", fullmatch=True),
    after=st.text(max_size=30),
)
def test_no_address_survives(before: str, local: str, domain: str, after: str) -> None:
    address = f"{local}@{domain}"

    redacted = privacy.redact(f"{before} {address} {after}")

    assert address not in redacted
    assert privacy.EMAIL.search(redacted) is None
