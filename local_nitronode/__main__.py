"""Command line: python -m local_nitronode [--host H] [--port P] [--fund A:ASSET:AMOUNT ...] [--state FILE]."""

from __future__ import annotations

from local_nodes import cli

from .constants import DEMO_NODE_KEY
from .server import LocalNitronode

USAGE = cli.Usage(
    prog="nitronode",
    description="Local Nitronode v1 for development and tests",
    default_port=7824,
    fund_help="transfer off-chain funds to a wallet (only when the database is new)",
    state_help="JSON file keeping states, channels and sessions across restarts",
)


def main(argv: list[str] | None = None) -> None:
    """Run until SIGINT or SIGTERM."""
    options = cli.options(USAGE, argv)
    cli.serve(
        lambda: LocalNitronode(
            host=options.host,
            port=options.port,
            fund=options.fund,
            node_key=DEMO_NODE_KEY,
            state_file=options.state,
        ),
        lambda node: (
            f"Nitronode ready: {node.url} node {node.node_address} "
            f"faucet {node.faucet_url}"
        ),
    )


if __name__ == "__main__":
    main()
