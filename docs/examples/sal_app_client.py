"""A platform app's view of SAL, in plain Python (standard library only): what an iOS or Android
app does with the JSON API of salwidgets.

    python docs/examples/sal_app_client.py http://127.0.0.1:8000 evt_2024_metallica show_nyc_20240815
    TOKEN=$(python manage.py app_token alice@example.com)
    python docs/examples/sal_app_client.py http://127.0.0.1:8000 --token "$TOKEN"

It prints a show's buy buttons, then asks again with the ETag it got (a 304 means: keep what you
have), and, with a token, the person's tickets with their status and resale actions.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from typing import Any

API = "/sal/api/v1"


def get(url: str, *, token: str = "", etag: str = "", lang: str = "en") -> tuple[int, dict[str, Any], str]:
    """(status, JSON body or {}, ETag) of a GET, as an app's HTTP layer would do it."""
    request = urllib.request.Request(url, headers={"Accept": "application/json", "Accept-Language": lang})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if etag:
        request.add_header("If-None-Match", etag)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response), response.headers.get("ETag", "")
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return 304, {}, error.headers.get("ETag", etag)
        body = json.load(error)
        raise SystemExit(f"{error.code} {body['error']['code']}: {body['error']['message']}") from None


def show(site: str, event_id: str, show_id: str, lang: str) -> None:
    url = f"{site}{API}/shows/{event_id}/{show_id}"
    _status, body, etag = get(url, lang=lang)
    if body["fallback"]:
        print(f"Resale: {body['message']}")
    for component in body["components"]:
        if component["type"] == "button":
            print(f"[{component['label']}] -> {component['url']}")
        else:
            print(f"{component['type']}: {component.get('title', component['id'])}")
    again, _body, _etag = get(url, etag=etag, lang=lang)
    print("Asked again with its ETag:", "304, unchanged" if again == 304 else f"{again}, changed")


def my_tickets(site: str, token: str, lang: str) -> None:
    _status, body, _etag = get(f"{site}{API}/me/tickets", token=token, lang=lang)
    if body["fallback"]:
        print(f"Resale: {body['message']}")
    for item in body["items"]:
        actions = ", ".join(f"{action['label']} ({action['action']})" for action in item["actions"])
        print(f"{item['id']}: {item['statusText']}{'; ' + actions if actions else ''}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", help="the site's origin, e.g. http://127.0.0.1:8000")
    parser.add_argument("event_id", nargs="?")
    parser.add_argument("show_id", nargs="?")
    parser.add_argument("--token", default="", help="the person's app token (for their tickets)")
    parser.add_argument("--lang", default="en")
    options = parser.parse_args(argv)
    site = options.site.rstrip("/")
    if options.event_id and options.show_id:
        show(site, options.event_id, options.show_id, options.lang)
    if options.token:
        my_tickets(site, options.token, options.lang)
    if not (options.token or options.show_id):
        parser.error("name a show (EVENT_ID SHOW_ID), or give --token, or both")


if __name__ == "__main__":
    main(sys.argv[1:])
