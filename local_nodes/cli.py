"""The command line both servers share: ``--host --port --fund A:ASSET:AMOUNT --state``."""

from __future__ import annotations

import argparse
import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
import logging
import signal
import sys
from typing import Any

from .server import LoopbackServer


@dataclass(frozen=True, slots=True)
class Options:
    """What the command line asked for, ``--fund`` entries parsed."""

    host: str
    port: int
    fund: dict[str, dict[str, Decimal]]
    state: str | None


@dataclass(frozen=True, slots=True)
class Usage:
    """How one server describes itself and its options."""

    prog: str
    description: str
    default_port: int
    fund_help: str
    state_help: str


def options(usage: Usage, argv: list[str] | None = None) -> Options:
    """Parse ``argv`` (default: the process's arguments); exit on a bad entry."""
    parser = argparse.ArgumentParser(prog=usage.prog, description=usage.description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=usage.default_port)
    parser.add_argument(
        "--fund",
        nargs="+",
        action="extend",
        default=[],
        metavar="ADDRESS:ASSET:AMOUNT",
        help=usage.fund_help,
    )
    parser.add_argument("--state", help=usage.state_help)
    arguments = parser.parse_args(argv)
    return Options(
        arguments.host, arguments.port, funding(arguments.fund), arguments.state
    )


def funding(entries: list[str]) -> dict[str, dict[str, Decimal]]:
    """Parse ``ADDRESS:ASSET:AMOUNT`` entries into ``{address: {asset: amount}}``."""
    parsed: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for entry in entries:
        try:
            address, asset, amount = entry.rsplit(":", 2)
            parsed[address][asset] = Decimal(amount)
        except (ValueError, InvalidOperation) as err:
            msg = f"--fund expects ADDRESS:ASSET:AMOUNT, got {entry!r}"
            raise SystemExit(msg) from err
    return parsed


def serve[N: LoopbackServer[Any]](
    build: Callable[[], N], ready: Callable[[N], str]
) -> None:
    """Run the server ``build`` returns until SIGINT or SIGTERM.

    ``ready`` is the line printed once it listens (scripts wait for it).
    """
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(_serve_until_signal(build, ready))


async def _serve_until_signal[N: LoopbackServer[Any]](
    build: Callable[[], N], ready: Callable[[N], str]
) -> None:
    node = build()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    await node.start()
    sys.stdout.write(ready(node) + "\n")
    sys.stdout.flush()
    await stopping.wait()
    await node.stop()
