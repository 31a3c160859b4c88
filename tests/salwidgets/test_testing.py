"""``salwidgets.testing``: the pytest plugin a site's own test suite uses, run as that suite would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from salwidgets.testing import wait_for
from tests.support.servers import ROOT

SUITE = """
def test_the_site_is_pointed_at_a_running_sandbox(sal_sandbox, settings):
    assert settings.SALWIDGETS["BASE_URL"] == sal_sandbox.url
    assert sal_sandbox.faults(mode="down")["mode"] == "down"
    status, _envelope = sal_sandbox.call("GET", "/v1/wrapper/accesslayer", params={"type": "sell", "lang": "en"})
    assert status == 503


def test_faults_set_by_a_test_are_cleared_after_it(sal_sandbox):
    assert sal_sandbox.faults()["mode"] == "normal"
"""


def test_a_sites_suite_gets_a_sandbox_and_each_test_a_clean_one(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["salwidgets.testing"]\n')
    (tmp_path / "test_site.py").write_text(SUITE)

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:randomly"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout


def test_wait_for_answers_once_ready_and_says_why_it_gave_up() -> None:
    answers = iter([None, [], ["done"]])

    assert wait_for(lambda: next(answers), timeout=5, failure=lambda: "never") == ["done"]
    with pytest.raises(AssertionError, match="the worker never ran"):
        wait_for(lambda: None, timeout=0.05, failure=lambda: "the worker never ran")
