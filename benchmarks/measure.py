"""What every benchmark measures with: timings, percentiles, and a local node in a child process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
import os
from pathlib import Path
import socket
import sys
import time

ROOT = Path(__file__).resolve().parents[1]


def percentile(samples: list[float], share: float) -> float:
    """Return the ``share`` percentile of ``samples`` (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def time_calls(call: Callable[[], object], count: int) -> list[float]:
    """Return the duration of each of ``count`` calls, in microseconds."""
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1e6)
    return samples


async def timed(call: Callable[[], Awaitable[object]], count: int) -> list[float]:
    """Return the duration of each of ``count`` awaited calls, in milliseconds."""
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1e3)
    return samples


def report(name: str, samples: list[float]) -> None:
    """Print p50 and p99 of millisecond samples."""
    print(
        f"{name}: p50 {percentile(samples, 0.5):.2f} ms, "
        f"p99 {percentile(samples, 0.99):.2f} ms (n={len(samples)})"
    )


def free_port() -> int:
    """Return a port that is free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def child_node(module: str, path: str, *funding: str) -> AsyncIterator[str]:
    """Run a local node (``python -m module``) in a child process; yield its URL.

    ``funding`` entries are the node's ``--fund ADDRESS:ASSET:AMOUNT`` arguments; ``path``
    is its WebSocket path. The numbers measured are then the client process's alone.
    """
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        "--port",
        str(port),
        "--fund",
        *funding,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None  # noqa: S101 - piped above
        line = await asyncio.wait_for(process.stdout.readline(), 20)
        if b"ready" not in line:
            msg = f"{module} did not start: {line!r}"
            raise RuntimeError(msg)
        yield f"ws://127.0.0.1:{port}{path}"
    finally:
        process.terminate()
        await process.wait()
