"""README's quickstart, as a team adopting salwidgets would follow it: the package built as a wheel,
installed into a fresh virtual environment beside a fresh ``startproject``, each snippet pasted as
it is, then ``check``, ``migrate`` and the quickstart's own test against a sandbox it starts."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


def quickstart() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Adding salwidgets to a Django site")
    return readme[start : readme.index("The template tags:", start)]


def snippets() -> list[tuple[str, str, str]]:
    """(file, how, code) of each snippet, its indentation as a list item removed."""
    found = []
    for match in SNIPPET.finditer(quickstart().replace("\n   ", "\n")):
        found.append((match[1], match[2], match[3]))
    return found


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
        "".join(line + "\n" for line in pins.splitlines() if "==" in line and "salwidgets" not in line)
    )
    # Built from a copy of the sources: setuptools builds in the tree it is given and never clears
    # its build/ folder, so a checkout's leftovers could otherwise end up in the wheel.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*COPY_IGNORES))
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", tmp_path / "dist", source, cwd=tmp_path)
    [wheel] = (tmp_path / "dist").glob("salwidgets-*.whl")
    run(sys.executable, "-m", "venv", tmp_path / "venv", cwd=tmp_path)
    bin = tmp_path / "venv" / "bin"
    run(bin / "pip", "install", "--quiet", "--constraint", constraints, f"{wheel}[csp,tasks,testing]", cwd=tmp_path)

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
