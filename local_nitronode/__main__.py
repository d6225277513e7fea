"""Command line: python -m local_nitronode [--host H] [--port P] [--fund A:ASSET:AMOUNT ...] [--state FILE]."""

from __future__ import annotations

import argparse
import asyncio
from collections import defaultdict
from decimal import Decimal, InvalidOperation
import logging
import signal
import sys

from .constants import DEMO_NODE_KEY
from .server import LocalNitronode

DEFAULT_PORT = 7824


def _funding(entries: list[str]) -> dict[str, dict[str, Decimal]]:
    funding: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for entry in entries:
        try:
            address, asset, amount = entry.rsplit(":", 2)
            funding[address][asset] = Decimal(amount)
        except (ValueError, InvalidOperation) as err:
            msg = f"--fund expects ADDRESS:ASSET:AMOUNT, got {entry!r}"
            raise SystemExit(msg) from err
    return funding


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="nitronode", description="Local Nitronode v1 for development and tests"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--fund",
        nargs="+",
        action="extend",
        default=[],
        metavar="ADDRESS:ASSET:AMOUNT",
        help="transfer off-chain funds to a wallet (only when the database is new)",
    )
    parser.add_argument(
        "--state",
        help="JSON file keeping states, channels and sessions across restarts",
    )
    return parser.parse_args(argv)


async def _serve(
    arguments: argparse.Namespace, funding: dict[str, dict[str, Decimal]]
) -> None:
    node = LocalNitronode(
        host=arguments.host,
        port=arguments.port,
        fund=funding,
        node_key=DEMO_NODE_KEY,
        state_file=arguments.state,
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    await node.start()
    sys.stdout.write(
        f"Nitronode ready: {node.url} node {node.node_address} "
        f"faucet {node.faucet_url}\n"
    )
    sys.stdout.flush()
    await stopping.wait()
    await node.stop()


def main(argv: list[str] | None = None) -> None:
    """Run until SIGINT or SIGTERM."""
    arguments = _arguments(sys.argv[1:] if argv is None else argv)
    funding = _funding(arguments.fund)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(_serve(arguments, funding))


if __name__ == "__main__":
    main()
