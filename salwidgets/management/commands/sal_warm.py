"""Load the buy buttons of the coming days' shows into the cache, with bulk calls."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from salwidgets import answers
from salwidgets.checks import PER_PROCESS_CACHES
from salwidgets.conf import get_config

CHUNK = 50  # shows per bulk call


class Command(BaseCommand):
    help = "Fill the SAL cache for every show in the next DAYS days (one bulk call per 50 shows and language)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=7, help="how far ahead to look (default 7)")
        parser.add_argument(
            "--lang", action="append", help="a language to warm (repeatable; one of LANGUAGES, default: all of them)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = get_config()["UPCOMING_SHOWS"]
        if not source:
            raise CommandError("Set SALWIDGETS['UPCOMING_SHOWS'] to the function that lists upcoming shows.")
        if options["days"] < 0:
            raise CommandError("--days must be 0 or more.")
        site_languages = [code for code, _name in settings.LANGUAGES]
        unknown = [lang for lang in options["lang"] or [] if lang not in site_languages]
        if unknown:
            raise CommandError(
                f"--lang {', '.join(unknown)}: not one of the site's languages ({', '.join(site_languages)})."
            )
        backend = settings.CACHES.get(get_config()["CACHE_ALIAS"], {}).get("BACKEND", "")
        if backend in PER_PROCESS_CACHES:
            self.stderr.write(
                f"Warning: the SAL cache ({get_config()['CACHE_ALIAS']!r}, {backend.rsplit('.', 1)[-1]}) is this "
                "process's own: what this command loads is gone when it exits. Use a shared cache (Redis)."
            )
        pairs = [(str(event_id), str(show_id)) for event_id, show_id in import_string(source)(options["days"])]
        languages = options["lang"] or site_languages
        failed = 0
        # Progress on a terminal only: a cron job's output stays the summary.
        progress = self.stdout.isatty()
        total = len(pairs) * len(languages)
        done = 0
        for lang in languages:
            for start in range(0, len(pairs), CHUNK):
                results = answers.fetch_shows("buy", pairs[start : start + CHUNK], lang)
                failed += sum(result.state == "failed" for result in results.values())
                done += len(results)
                if progress:
                    self.stdout.write(f"\rWarming {done}/{total} (shows x languages), {failed} failed", ending="")
        if progress and total:
            self.stdout.write("")
        summary = f"Warmed {len(pairs)} shows in {len(languages)} language(s)"
        if failed:
            raise CommandError(f"{summary}; {failed} could not be loaded (menta unavailable).")
        self.stdout.write(self.style.SUCCESS(summary + "."))
