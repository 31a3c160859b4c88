"""``python -m menta_sandbox --site ORIGIN``: the sandbox plays menta for that site at once."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
from standardwebhooks import Webhook

from menta_sandbox import process
from menta_sandbox.__main__ import QUICKSTART_SIGNING_SECRET, QUICKSTART_VERIFY_SECRET


class Receiver(BaseHTTPRequestHandler):
    """The site's webhook receiver, as far as the sandbox can tell: it records what it is sent."""

    received: list[tuple[str, dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "applied"}')

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_webhooks_go_to_the_site_signed_with_the_quickstarts_secrets(tmp_path: Path) -> None:
    site = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{site.server_address[1]}"
    sandbox = process.start(db=tmp_path / "sandbox.sqlite3", site=origin)
    try:
        emitted = requests.post(
            f"{sandbox.url}/__sandbox/webhooks", json={"action": "ticket.updated", "data": {"id": "T1"}}, timeout=10
        )
        assert emitted.status_code == 201
        deadline = time.monotonic() + 20
        while not Receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sandbox.stop()
        site.shutdown()

    path, headers, body = Receiver.received[0]
    assert path == "/menta/webhooks"
    assert headers["X-Menta-Secret"] == QUICKSTART_VERIFY_SECRET
    signed = {name: headers[name] for name in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    Webhook(QUICKSTART_SIGNING_SECRET).verify(body, signed)
    assert json.loads(body)["message"]["action"] == "ticket.updated"


def test_a_site_that_is_not_an_origin_is_a_one_line_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "menta_sandbox", "--site", "127.0.0.1:8000/menta", "--db", str(tmp_path / "s.db")],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "python -m menta_sandbox: error: --site must be an origin like http://127.0.0.1:8000, "
        "not '127.0.0.1:8000/menta'"
    )
