"""README's quickstart, as a team adopting salwidgets would follow it: the package built as a wheel,
installed into a fresh virtual environment beside a fresh ``startproject``, each snippet pasted as
it is, then ``check``, ``migrate`` and the quickstart's own test against a sandbox it starts."""

from __future__ import annotations

import html
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

# Its processes use databases of their own, whatever DATABASE_URL says: run once, not again on PostgreSQL.
pytestmark = pytest.mark.own_database

ROOT = Path(__file__).resolve().parents[2]
# What a build never needs: environments, caches, local state and earlier builds.
# The probes of the quickstart's settings, asked as a load balancer would (by address), and a push.
PROBE = """
from django.test import Client
live, ready = (Client().get(path, HTTP_HOST="10.0.3.7") for path in ("/healthz", "/readyz"))
print("/healthz", live.status_code, live.content.decode().strip())
print("/readyz", ready.status_code, ready.json()["ready"])
# A push for menta is stored and its worker woken (the tasks extra, the database backend).
from django_tasks_db.models import DBTaskResult
from salwidgets import sync, wire
from salwidgets.models import OutboxItem
sync.send_leads([wire.Lead("WISHLIST", event_id="evt_1", show_id="show_1", buyer=wire.Buyer(email="fan@example.com"))])
print("outbox", OutboxItem.objects.count(), "tasks", DBTaskResult.objects.count())
"""
COPY_IGNORES = (".git", ".venv", "var", "build", "dist", "*.egg-info", "test-artifacts", "__pycache__", ".*_cache")
# A snippet's first line names its file: "# mysite/settings.py (add at the end)" or "(new file)".
SNIPPET = re.compile(
    r"```(?:python|django|ini)\n(?:#|\{#) (\S+) \((add at the end|new file)\)(?: #\})?\n(.*?)```", re.S
)


# What the site recorded of the sandbox's webhook (step 5's sandbox knows where to send it).
WEBHOOKS = """
from salwidgets.models import WebhookDelivery
print(*WebhookDelivery.objects.values_list("action", "outcome"), sep="\\n")
"""


def quickstart() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Adding salwidgets to a Django site")
    return readme[start : readme.index("<!-- end of the quickstart -->", start)]


def snippets() -> list[tuple[str, str, str]]:
    """(file, how, code) of each snippet, its indentation as a list item removed."""
    found = []
    for match in SNIPPET.finditer(quickstart().replace("\n   ", "\n")):
        found.append((match[1], match[2], match[3]))
    return found


def console(step: str) -> list[tuple[list[str], bool]]:
    """The commands of the quickstart's console block that follows ``step``: (argv, in the background)."""
    text = quickstart()
    block = text[text.index(step) :]
    block = block[block.index("```console\n") + len("```console\n") : block.index("```", block.index("```console") + 3)]
    commands = []
    for line in block.splitlines():
        words = shlex.split(line.strip().removeprefix("$ "), comments=True)
        if not words:
            continue
        background = words[-1] == "&"
        commands.append((words[:-1] if background else words, background))
    return commands


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def eventually(check: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.25)


def answers(url: str, needle: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return needle in requests.get(url, timeout=5).text
        except requests.RequestException:
            return False

    return check


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"{command}: {result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def test_the_quickstart_has_every_snippet() -> None:
    assert [(path, how) for path, how, _code in snippets()] == [
        ("mysite/settings.py", "add at the end"),
        ("mysite/urls.py", "add at the end"),
        ("templates/show.html", "new file"),
        ("pytest.ini", "new file"),
        ("conftest.py", "new file"),
        ("test_show.py", "new file"),
    ]


def test_a_fresh_project_follows_the_quickstart(tmp_path: Path) -> None:
    # The same versions as this environment's (so pip takes them from its cache), salwidgets aside.
    pins = run(sys.executable, "-m", "pip", "freeze", "--exclude-editable", cwd=tmp_path)
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(
        "".join(
            line + "\n"
            for line in pins.splitlines()
            if "==" in line and "salwidgets" not in line and "menta-sandbox" not in line and "menta_sandbox" not in line
        )
    )
    # Built from a copy of the sources: setuptools builds in the tree it is given and never clears
    # its build/ folder, so a checkout's leftovers could otherwise end up in the wheel.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*COPY_IGNORES))
    dist = tmp_path / "dist"
    for package in (source, source / "sandbox"):
        run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", dist, package, cwd=tmp_path)
    [wheel] = dist.glob("salwidgets-*.whl")
    [sandbox_wheel] = dist.glob("menta_sandbox-*.whl")
    # The production wheel carries none of the sandbox; the sandbox's carries its pages and catalogue.
    assert not [name for name in zipfile.ZipFile(wheel).namelist() if "sandbox" in name.split("/")[0]]
    assert "menta_sandbox/templates/menta_sandbox/buy_show.html" in zipfile.ZipFile(sandbox_wheel).namelist()
    run(sys.executable, "-m", "venv", tmp_path / "venv", cwd=tmp_path)
    bin = tmp_path / "venv" / "bin"
    install = ("--quiet", "--constraint", constraints, "--find-links", dist, f"{wheel}[csp,tasks,testing]")
    run(bin / "pip", "install", *install, cwd=tmp_path)

    project = tmp_path / "project"
    project.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SAL_", "MENTA_", "SANDBOX_", "PYTEST_", "PYTHON"))
    }
    run(bin / "django-admin", "startproject", "mysite", ".", cwd=project, env=env)
    for path, how, code in snippets():
        target = project / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if how == "new file":
            target.write_text(code)
        else:
            target.write_text(target.read_text() + "\n" + code)

    installed = run(bin / "python", "-c", "import salwidgets; print(salwidgets.__file__)", cwd=project, env=env)
    assert installed.startswith(str(tmp_path / "venv"))
    checked = run(bin / "python", "manage.py", "check", cwd=project, env=env)
    assert "System check identified no issues" in checked
    run(bin / "python", "manage.py", "migrate", "--verbosity", "0", cwd=project, env=env)
    probed = run(bin / "python", "manage.py", "shell", "-c", PROBE, cwd=project, env=env)
    assert probed.splitlines()[-3:] == ["/healthz 200 ok", "/readyz 200 True", "outbox 1 tasks 1"], probed
    tested = run(bin / "pytest", "-q", "-p", "no:cacheprovider", cwd=project, env=env)
    assert "1 passed" in tested

    # Step 5 as written, on free ports: the sandbox told of the site, the push, the worker, the site.
    site, sandbox = free_port(), free_port()
    env = {**env, "SANDBOX_PORT": str(sandbox), "MENTA_BASE_URL": f"http://127.0.0.1:{sandbox}"}
    started: list[subprocess.Popen[bytes]] = []
    try:
        for words, background in console("5. Run it."):
            words = [w.replace("127.0.0.1:8000", f"127.0.0.1:{site}") for w in words]
            if words[-1] == "runserver":
                words += [f"127.0.0.1:{site}", "--noreload"]
            if words[0] == "python":
                words[0] = str(bin / "python")
            if background or words[-1] == "--noreload":
                started.append(subprocess.Popen(words, cwd=project, env=env, stdout=subprocess.DEVNULL))
                if "menta_sandbox" in words:
                    eventually(answers(f"http://127.0.0.1:{sandbox}/", ""), "the sandbox listens")
            else:
                run(*words, cwd=project, env=env)
        show = f"http://127.0.0.1:{site}/shows/evt_1/show_1/"
        eventually(answers(show, "hx-get"), "the site listens")
        page = requests.get(show, timeout=10).text
        fragment = html.unescape(re.search(r'hx-get="([^"]+)"', page)[1])  # type: ignore[index]
        eventually(answers(f"http://127.0.0.1:{site}{fragment}", 'data-sal-component="button"'), "a buy button")
        emitted = requests.post(
            f"http://127.0.0.1:{sandbox}/__sandbox/webhooks",
            json={"action": "ticket.updated", "data": {"id": "T1"}},
            timeout=10,
        )
        assert emitted.status_code == 201
        eventually(
            lambda: "ticket.updated" in run(bin / "python", "manage.py", "shell", "-c", WEBHOOKS, cwd=project, env=env),
            "the site received the sandbox's webhook",
        )
    finally:
        for process in started:
            process.terminate()
            process.wait(timeout=30)
