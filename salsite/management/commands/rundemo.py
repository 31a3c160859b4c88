"""``make run``: the sandbox, the site and the outbox's worker on 127.0.0.1, with the demo data on a
new database.

The site starts before the demo data is seeded: listing the demo seller's tickets goes through
the sandbox's sell page, which asks the site's ownership endpoint first, as menta does.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from menta_sandbox import process


def _wait_for_port(port: int, child: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise CommandError(f"the site stopped at start-up (exit code {child.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise CommandError(f"the site did not start listening on port {port}")


class Command(BaseCommand):
    help = "Start the menta sandbox and the demo site; seed the demo data on a new database."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("rundemo serves the demo with DEBUG on: set DJANGO_DEBUG=1.")
        var = settings.BASE_DIR / "var"
        var.mkdir(exist_ok=True)
        sandbox_db = var / "sandbox.sqlite3"
        new_data = not connection.introspection.table_names() or (settings.MENTA_SANDBOX and not sandbox_db.exists())
        call_command("migrate", verbosity=0, interactive=False)
        sandbox = None
        site = None
        worker = None
        try:
            if settings.MENTA_SANDBOX:
                origin = f"http://127.0.0.1:{settings.SITE_PORT}"
                verify = {
                    "SANDBOX_VERIFY_URL": f"{origin}/menta/tickets",
                    "SAL_VERIFY_SECRET": settings.SAL_VERIFY_SECRET,
                    "SANDBOX_WEBHOOK_URL": f"{origin}/menta/webhooks",
                    "SANDBOX_WEBHOOK_SIGNING_SECRETS": ",".join(settings.SAL_WEBHOOK_SIGNING_SECRETS),
                    "MENTA_API_KEY": settings.MENTA_API_KEY,
                }
                sandbox = process.start(db=sandbox_db, port=settings.SANDBOX_PORT, quiet=False, env=verify)
            site = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{settings.SITE_PORT}"],
                cwd=settings.BASE_DIR,
            )
            _wait_for_port(settings.SITE_PORT, site)
            # The worker that sends the outbox to menta (and ends carts whose hold ran out).
            worker = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.5", "--verbosity", "0"],
                cwd=settings.BASE_DIR,
            )
            if new_data:
                call_command("seed_demo")
            self.stdout.write(self.style.SUCCESS(f"Site:    http://127.0.0.1:{settings.SITE_PORT}/"))
            if sandbox is not None:
                self.stdout.write(f"Sandbox: {sandbox.url}/  (control API: {sandbox.url}/__sandbox/faults)")
            self.stdout.write("Worker:  sending the outbox to menta (manage.py db_worker)")
            self.stdout.write("Sign in as alice@example.com / demo12345. Stop with Ctrl-C.")
            site.wait()
        except KeyboardInterrupt:
            pass
        finally:
            for child in (worker, site):
                if child is not None:
                    process.stop(child)
            if sandbox is not None:
                sandbox.stop()
