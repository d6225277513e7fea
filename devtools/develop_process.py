"""Run scripts/develop in a subprocess, as a developer's terminal does (for tests)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
import re
import signal
import sys

from .homeassistant import REPOSITORY

NITRONODE_READY = re.compile(r"Local Nitronode v1: (\S+)")
CLEARNODE_READY = re.compile(r"Local ClearNode v0.5: (\S+)")
STARTING = re.compile(r"Starting Home Assistant")
HOME_ASSISTANT_READY = re.compile(r"Home Assistant is ready: (\S+)")


class DevelopError(RuntimeError):
    """scripts/develop stopped before printing what was waited for."""


class DevelopProcess:
    """`python -m devtools.develop` on free ports, its output kept in a log file."""

    def __init__(self, config_dir: Path, log: Path, *options: str) -> None:
        """Describe the process; nothing starts until start()."""
        self.config_dir = config_dir
        self.log = log
        self.options = options
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start scripts/develop."""
        with self.log.open("wb") as output:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "devtools.develop",
                "--config", str(self.config_dir),
                "--port", "0", "--nitronode-port", "0", "--clearnode-port", "0",
                *self.options,
                cwd=REPOSITORY, stdout=output, stderr=asyncio.subprocess.STDOUT,
                env=os.environ | {"PYTHONUNBUFFERED": "1"},
            )  # fmt: skip

    @property
    def output(self) -> str:
        """What it printed so far."""
        return self.log.read_text()

    async def wait_for(self, line: re.Pattern[str], timeout: float) -> re.Match[str]:
        """Wait until it prints a line matching the pattern."""
        assert self._process is not None
        async with asyncio.timeout(timeout):
            while (match := line.search(self.output)) is None:
                if self._process.returncode is not None:
                    raise DevelopError(f"scripts/develop stopped:\n{self.output}")
                await asyncio.sleep(0.2)
        return match

    async def interrupt(self, timeout: float = 90) -> int:
        """Press Ctrl-C and wait for it to stop everything; kill it if it hangs."""
        process = self._process
        assert process is not None
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        try:
            async with asyncio.timeout(timeout):
                return await process.wait()
        except TimeoutError:
            process.kill()
            return await process.wait()
