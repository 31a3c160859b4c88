"""Start and stop a sandbox process: for ``make run``, the test suite and the benchmark."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

READY = "menta sandbox listening on "


@dataclass
class Sandbox:
    url: str
    process: subprocess.Popen[str] = field(repr=False)

    def stop(self) -> None:
        stop(self.process, timeout=5)
        if self.process.stdout:
            self.process.stdout.close()


def stop(process: subprocess.Popen[Any], timeout: float = 10) -> None:
    """Ask a child to end; kill it if it has not within ``timeout`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_line(
    process: subprocess.Popen[str], stream: Any, pattern: re.Pattern[str], timeout: float
) -> re.Match[str]:
    """Read a child's ``stream`` in a thread of its own (which keeps draining it, so that the child
    never blocks on a full pipe) until a line matches ``pattern``; the child is killed if none does."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            line = None
        if line is None:
            process.kill()
            process.wait()
            raise RuntimeError(f"{process.args!r} did not start (exit code {process.returncode}): {''.join(seen[-5:])}")
        seen.append(line)
        match = pattern.search(line)
        if match:
            return match


def start(
    *,
    db: Path,
    port: int = 0,
    quiet: bool = True,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    site: str = "",
) -> Sandbox:
    """Start ``python -m menta_sandbox`` and wait until it says it is listening."""
    command = [sys.executable, "-m", "menta_sandbox", "--port", str(port), "--db", str(Path(db).resolve())]
    if site:
        command += ["--site", site]
    if quiet:
        command.append("--quiet")
    process = subprocess.Popen(
        # From the folder that holds the package, so that it runs from a checkout as well as installed.
        command,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=Path(__file__).resolve().parents[1],
    )
    match = wait_for_line(process, process.stdout, re.compile(rf"^{re.escape(READY)}(\S+)"), timeout)
    return Sandbox(url=match.group(1), process=process)
