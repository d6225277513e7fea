"""A local ClearNode v0.5 for development, demos and tests (never installed for users).

Command line: ``scripts/clearnode [--host 127.0.0.1] [--port 8000]
[--fund ADDRESS:ASSET:AMOUNT ...] [--state FILE]``.

In tests::

    async with LocalClearNode(fund={address: {"usdc": Decimal(100)}}) as node:
        ...  # node.url, node.broker_address, node.fund(), node.balance(), node.faults
"""

from .constants import (
    DEFAULT_ASSETS,
    DEMO_BROKER_KEY,
    DEMO_COUNTERPARTY_ADDRESS,
    DEMO_COUNTERPARTY_KEY,
    DEMO_WALLET_ADDRESS,
    DEMO_WALLET_KEY,
    AssetInfo,
)
from .faults import Faults
from .server import LocalClearNode

__all__ = [
    "DEFAULT_ASSETS",
    "DEMO_BROKER_KEY",
    "DEMO_COUNTERPARTY_ADDRESS",
    "DEMO_COUNTERPARTY_KEY",
    "DEMO_WALLET_ADDRESS",
    "DEMO_WALLET_KEY",
    "AssetInfo",
    "Faults",
    "LocalClearNode",
]
