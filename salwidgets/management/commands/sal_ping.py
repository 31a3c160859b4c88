"""Check the integration from the command line: menta, the breaker, the cache."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from salwidgets import health


class Command(BaseCommand):
    help = "Ask menta once and report its reachability, the circuit breaker's state, the cache and the outbox."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        report = health.check()
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict()))
        else:
            menta = (
                f"reachable in {report.menta_latency_ms:.0f} ms"
                if report.menta_reachable
                else f"{report.menta_state.upper()} ({report.menta_error})"
            )
            self.stdout.write(f"menta:   {menta}")
            self.stdout.write(f"breaker: {report.breaker} ({report.breaker_failures} failures in a row)")
            self.stdout.write(f"cache:   {report.cache_backend}, {'answering' if report.cache_ok else 'NOT ANSWERING'}")
            waiting = ", ".join(f"{count} {status}" for status, count in report.outbox.items())
            self.stdout.write(f"outbox:  {waiting}")
        problems = health.problems(report)
        if problems:
            raise CommandError(f"The SAL integration is not healthy: {'; '.join(problems)}.")
