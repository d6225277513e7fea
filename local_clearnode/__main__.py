"""Command line: python -m local_clearnode [--host H] [--port P] [--fund A:ASSET:AMOUNT ...] [--state FILE]."""

from __future__ import annotations

from local_nodes import cli

from .server import LocalClearNode

USAGE = cli.Usage(
    prog="clearnode",
    description="Local ClearNode v0.5 for development and tests",
    default_port=8000,
    fund_help="credit a wallet's unified balance (only when the ledger is new)",
    state_help="JSON file keeping balances, sessions and keys across restarts",
)


def main(argv: list[str] | None = None) -> None:
    """Run until SIGINT or SIGTERM."""
    options = cli.options(USAGE, argv)
    cli.serve(
        lambda: LocalClearNode(
            host=options.host,
            port=options.port,
            fund=options.fund,
            state_file=options.state,
        ),
        lambda node: f"ClearNode ready: {node.url} broker {node.broker_address}",
    )


if __name__ == "__main__":
    main()
