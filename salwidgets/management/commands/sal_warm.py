"""Load the buy buttons of the coming days' shows into the cache, with bulk calls."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from salwidgets import sal
from salwidgets.conf import get_config


class Command(BaseCommand):
    help = "Fill the SAL cache for every show in the next DAYS days (one bulk call per 50 shows and language)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=7, help="how far ahead to look (default 7)")
        parser.add_argument(
            "--lang", action="append", help="a language to warm (repeatable; default: every one in LANGUAGES)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = get_config()["UPCOMING_SHOWS"]
        if not source:
            raise CommandError("Set SALWIDGETS['UPCOMING_SHOWS'] to the function that lists upcoming shows.")
        if options["days"] < 0:
            raise CommandError("--days must be 0 or more.")
        pairs = [(str(event_id), str(show_id)) for event_id, show_id in import_string(source)(options["days"])]
        languages = options["lang"] or [code for code, _name in settings.LANGUAGES]
        failed = 0
        for lang in languages:
            results = sal.fetch_shows("buy", pairs, lang)
            failed += sum(result.state == "failed" for result in results.values())
        summary = f"Warmed {len(pairs)} shows in {len(languages)} language(s)"
        if failed:
            raise CommandError(f"{summary}; {failed} could not be loaded (menta unavailable).")
        self.stdout.write(self.style.SUCCESS(summary + "."))
