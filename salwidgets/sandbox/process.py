"""Start and stop a sandbox process: for ``make run``, the test suite and the benchmark."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

READY = "menta sandbox listening on "


@dataclass
class Sandbox:
    url: str
    process: subprocess.Popen[str] = field(repr=False)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()


def start(
    *,
    db: Path,
    port: int = 0,
    quiet: bool = True,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> Sandbox:
    """Start ``python -m salwidgets.sandbox`` and wait until it says it is listening."""
    command = [sys.executable, "-m", "salwidgets.sandbox", "--port", str(port), "--db", str(db)]
    if quiet:
        command.append("--quiet")
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}, cwd=Path(__file__).parents[2]
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline() if ready else ""
    if not line.startswith(READY):
        process.kill()
        process.wait()
        raise RuntimeError(f"the sandbox did not start (exit code {process.returncode}): {line.strip()}")
    return Sandbox(url=line[len(READY) :].strip(), process=process)
