"""``make run``: the sandbox, the site's database and demo data, and the site, on 127.0.0.1."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from salwidgets.sandbox import process


class Command(BaseCommand):
    help = "Start the menta sandbox and the demo site; seed the demo data on a new database."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("rundemo serves the demo with DEBUG on: set DJANGO_DEBUG=1.")
        var = settings.BASE_DIR / "var"
        var.mkdir(exist_ok=True)
        sandbox_db = var / "sandbox.sqlite3"
        new_sandbox = not sandbox_db.exists()
        new_site = not connection.introspection.table_names()
        sandbox = None
        if settings.MENTA_SANDBOX:
            sandbox = process.start(db=sandbox_db, port=settings.SANDBOX_PORT, quiet=False)
            self.stdout.write(f"menta sandbox: {sandbox.url}/")
        try:
            call_command("migrate", verbosity=0, interactive=False)
            if new_site or (sandbox is not None and new_sandbox):
                call_command("seed_demo")
            self.stdout.write(self.style.SUCCESS(f"Site: http://127.0.0.1:{settings.SITE_PORT}/"))
            if sandbox is not None:
                self.stdout.write(f"Sandbox: {sandbox.url}/  (control API: {sandbox.url}/__sandbox/stats)")
            call_command("runserver", f"127.0.0.1:{settings.SITE_PORT}", use_reloader=False)
        finally:
            if sandbox is not None:
                sandbox.stop()
