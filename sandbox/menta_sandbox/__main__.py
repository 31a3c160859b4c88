"""``python -m menta_sandbox``: run the local menta sandbox on 127.0.0.1.

Prints ``menta sandbox listening on <url>`` once it accepts connections (``--port 0``
picks a free port; the line tells which), which is what ``process.start`` waits for.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

# The secrets the quickstart's settings (README) default to, so that `--site` needs nothing else.
QUICKSTART_VERIFY_SECRET = "sandbox-verify-secret"
QUICKSTART_SIGNING_SECRET = "whsec_c2Fsd2lkZ2V0cy1kZW1vLXdlYmhvb2stc2lnbmluZyE="


_QUERY = re.compile(r"\?([^\s\"#]*)")


def redact(text: str, param: str) -> str:
    """``text`` (a log line) with the value of every ``param`` (the one-time token) in a query
    replaced, however the query spells the name: percent-escaped, with ``+``, in any case, repeated."""
    param = param.lower()

    def query(match: re.Match[str]) -> str:
        pieces = []
        for piece in match[1].split("&"):
            name, sep, _value = piece.partition("=")
            pieces.append(f"{name}=[redacted]" if sep and unquote_plus(name).strip().lower() == param else piece)
        return "?" + "&".join(pieces)

    return _QUERY.sub(query, text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m menta_sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", "8001")))
    parser.add_argument("--db", help="SQLite file that keeps the sandbox's state")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    parser.add_argument(
        "--site",
        metavar="ORIGIN",
        help="the platform using this sandbox, e.g. http://127.0.0.1:8000: its ownership endpoint "
        "(/menta/tickets) is asked and its webhook receiver (/menta/webhooks) told, with the quickstart's "
        "secrets unless SAL_VERIFY_SECRET and SANDBOX_WEBHOOK_SIGNING_SECRETS say otherwise",
    )
    args = parser.parse_args(argv)
    if args.db:
        os.environ["SANDBOX_DB"] = args.db
    if args.site:
        origin = args.site.rstrip("/")
        if not origin.startswith(("http://", "https://")) or "/" in origin.split("://", 1)[1]:
            parser.error(f"--site must be an origin like http://127.0.0.1:8000, not {args.site!r}")
        os.environ.setdefault("SANDBOX_VERIFY_URL", f"{origin}/menta/tickets")
        os.environ.setdefault("SANDBOX_WEBHOOK_URL", f"{origin}/menta/webhooks")
        os.environ.setdefault("SAL_VERIFY_SECRET", QUICKSTART_VERIFY_SECRET)
        os.environ.setdefault("SANDBOX_WEBHOOK_SIGNING_SECRETS", QUICKSTART_SIGNING_SECRET)
    # The sandbox is its own Django project, whatever the environment says for the site.
    os.environ["DJANGO_SETTINGS_MODULE"] = "menta_sandbox.settings"

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    Path(settings.DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0, interactive=False)

    class Handler(WSGIRequestHandler):
        def log_message(self, format: str, *log_args: Any) -> None:
            # One-time tokens are credentials: never write them to a log.
            if not args.quiet:
                super().log_message(format, *(redact(str(a), settings.SANDBOX_OTT_PARAM) for a in log_args))

    from menta_sandbox.notify import sender

    sender.start()  # sends webhooks to the platform
    # A thread per request: a request held by the ``hang`` fault never blocks the others.
    server = ThreadedWSGIServer((args.host, args.port), Handler)
    server.set_app(get_wsgi_application())
    host, port = str(server.server_address[0]), server.server_address[1]
    print(f"menta sandbox listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
