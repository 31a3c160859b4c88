"""Real servers on this machine for the multi-process tests and the benchmark: Redis, the site
under gunicorn, and (from ``menta_sandbox.process``) the sandbox. Each waits for the line
its server prints when ready, and binds to 127.0.0.1 or a unix socket only."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from menta_sandbox.process import stop, wait_for_line

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Redis:
    url: str
    socket: Path
    process: subprocess.Popen[str] = field(repr=False)

    def stop(self) -> None:
        stop(self.process)


def start_redis(directory: Path) -> Redis:
    """redis-server on a unix socket in ``directory`` (no TCP port, no persistence)."""
    socket = directory / "redis.sock"
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            "0",
            "--unixsocket",
            str(socket),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_for_line(process, process.stdout, re.compile(r"ready to accept connections", re.IGNORECASE), 30)
    return Redis(f"unix://{socket}", socket, process)


@dataclass
class Site:
    url: str
    process: subprocess.Popen[str] = field(repr=False)

    def stop(self) -> None:
        stop(self.process)


def site_env(*, db: Path, redis: Redis, sandbox_url: str, **extra: str) -> dict[str, str]:
    """The environment of a site process that uses ``redis`` and the sandbox at ``sandbox_url``."""
    env = {key: value for key, value in os.environ.items() if key not in ("MENTA_BASE_URL", "MENTA_API_KEY")}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "salsite.settings",
        "DATABASE_URL": f"sqlite:///{db}",
        "REDIS_URL": redis.url,
        "SANDBOX_PORT": sandbox_url.rsplit(":", 1)[1],
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # DEBUG off, as in production, on plain http (the tests and the benchmark have no TLS).
        "DJANGO_SECRET_KEY": env.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        "DJANGO_HTTPS": "0",
        "DJANGO_STATIC_ROOT": str(db.parent / "static"),
        **extra,
    }


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)


def seeded_site_env(directory: Path, redis: Redis, sandbox_url: str) -> dict[str, str]:
    """``site_env`` for a new SQLite database in ``directory``, migrated and seeded with the demo."""
    env = site_env(db=directory / "site.sqlite3", redis=redis, sandbox_url=sandbox_url)
    manage({**env, "DJANGO_DEBUG": "1"}, "migrate", "--verbosity", "0")
    manage({**env, "DJANGO_DEBUG": "1"}, "seed_demo")
    return env


def start_site(env: dict[str, str], *, workers: int = 1, threads: int = 16) -> Site:
    """The site under gunicorn on a free port of 127.0.0.1, its static files collected first (as
    in production: whitenoise serves them)."""
    if not (Path(env["DJANGO_STATIC_ROOT"]) / "staticfiles.json").exists():
        manage(env, "collectstatic", "--noinput")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "salsite.wsgi:application",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    match = wait_for_line(process, process.stderr, re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)"), 60)
    return Site(match.group(1), process)
