"""A local Nitronode v1 for development, demos and tests (never installed for users).

Command line: ``scripts/nitronode [--host 127.0.0.1] [--port 7824]
[--fund ADDRESS:ASSET:AMOUNT ...] [--state FILE]``.

In tests::

    async with LocalNitronode(fund={address: {"yusd": Decimal(10)}}) as node:
        ...  # node.url, node.node_address, node.fund(), node.balance(), node.faults,
        # node.peer_submit(), node.close_by_peer()
"""

from .config import NodeConfig
from .connection import Keepalive
from .constants import (
    DEFAULT_ASSET,
    DEFAULT_ASSETS,
    DEMO_COUNTERPARTY_ADDRESS,
    DEMO_COUNTERPARTY_KEY,
    DEMO_NODE_KEY,
    DEMO_WALLET_ADDRESS,
    DEMO_WALLET_KEY,
    FAUCET_ADDRESS,
    Asset,
    Blockchain,
    Token,
)
from .errors import RPCError
from .faucet import FaucetSettings
from .faults import Faults, RateLimit
from .server import LocalNitronode

__all__ = [
    "DEFAULT_ASSET",
    "DEFAULT_ASSETS",
    "DEMO_COUNTERPARTY_ADDRESS",
    "DEMO_COUNTERPARTY_KEY",
    "DEMO_NODE_KEY",
    "DEMO_WALLET_ADDRESS",
    "DEMO_WALLET_KEY",
    "FAUCET_ADDRESS",
    "Asset",
    "Blockchain",
    "FaucetSettings",
    "Faults",
    "Keepalive",
    "LocalNitronode",
    "NodeConfig",
    "RPCError",
    "RateLimit",
    "Token",
]
