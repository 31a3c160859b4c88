"""Pytest fixtures for a site that uses salwidgets: a real menta sandbox on 127.0.0.1.

Add ``pytest_plugins = ["salwidgets.testing"]`` to the project's ``conftest.py`` (with pytest-django
installed: ``pip install "salwidgets[testing]"``, which brings the ``menta-sandbox`` package), then
ask for:

``menta_sandbox``
    A sandbox process, one per test session (and per xdist worker), as a :class:`SandboxControl`:
    its ``url``, its control API (faults, request counts, webhooks) and its stored state. Faults
    set by a test are cleared after it. (``menta_sandbox.pytest_plugin``'s fixture.)
``sal_sandbox``
    The same, with the site's ``SALWIDGETS`` pointed at it for the test (``BASE_URL`` and the
    sandbox's ``API_KEY``).

Tell the sandbox about a show with ``manage.py sal_push_event`` or ``salwidgets.client``.
"""

from __future__ import annotations

from typing import Any

import pytest

from menta_sandbox.pytest_plugin import (
    API_KEY,
    SandboxControl,
    menta_sandbox,
    menta_sandbox_process,
    start_sandbox,
    wait_for,
)

__all__ = [
    "API_KEY",
    "SandboxControl",
    "menta_sandbox",
    "menta_sandbox_process",
    "sal_sandbox",
    "start_sandbox",
    "wait_for",
]


@pytest.fixture
def sal_sandbox(settings: Any, menta_sandbox: SandboxControl) -> SandboxControl:
    """Point the site's salwidgets at the sandbox for this test."""
    settings.SALWIDGETS = {**getattr(settings, "SALWIDGETS", {}), "BASE_URL": menta_sandbox.url, "API_KEY": API_KEY}
    return menta_sandbox
