"""What the demo of scripts/develop holds: its owner, its two wallets and their presets.

Each demo wallet is added through the config flow as its owner would fill the forms in:
the Nitronode v1 wallet (the default, as on the live network) gets its tokens from the
local node's faucet like a new user's; the ClearNode v0.5 wallet is funded by the node.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from custom_components.nitrolite.clearnode import to_checksum_address
import local_clearnode
import local_nitronode

OWNER = "demo"
OWNER_PASSWORD = "nitrolite-demo"  # noqa: S105 - a documented local demo login
# The same public test key on both nodes (Hardhat's second account).
COUNTERPARTY = local_clearnode.DEMO_COUNTERPARTY_ADDRESS
APPLICATION = "home-assistant"

FlowAnswers = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class DemoWallet:
    """A demo wallet: its key, how its entry is added, and its payment preset."""

    name: str
    address: str
    key: str
    settings: FlowAnswers  # the dialect's steps after the wallet's key
    preset: Mapping[str, Any]

    def flow_answers(self, endpoint: str) -> FlowAnswers:
        """Return each config flow step's form as the wallet's owner fills it in.

        A custom endpoint (the local node), the wallet's key, then the dialect's steps.
        """
        return {
            "user": {"network": "custom"},
            "custom": {"endpoint": endpoint},
            "wallet": {"next_step_id": "wallet_key"},
            "wallet_key": {"private_key": self.key},
            **self.settings,
        }


NITRONODE_WALLET = DemoWallet(
    name="Nitronode v1",
    address=to_checksum_address(local_nitronode.DEMO_WALLET_ADDRESS),
    key=local_nitronode.DEMO_WALLET_KEY,
    settings={
        "faucet": {"request_tokens": True},
        "faucet_received": {},
        "nitronode": {
            "application": APPLICATION,
            "poll_interval": 5,
            "caps_window": 24,
        },
        "local_allowances": {"yusd": 20, "usdc": 1},
    },
    preset={
        "name": "Demo charger",
        "counterparty": COUNTERPARTY,
        "asset": "yusd",
        "deposit": 2,
        "unit_price": 0.25,
        "advanced": {
            "own_weight": 100,
            "counterparty_weight": 0,
            "quorum": 100,
            "application": APPLICATION,
        },
    },
)
CLEARNODE_WALLET = DemoWallet(
    name="ClearNode v0.5",
    address=local_clearnode.DEMO_WALLET_ADDRESS,
    key=local_clearnode.DEMO_WALLET_KEY,
    settings={
        "clearnode": {"application": APPLICATION, "session_key_lifetime": 24},
        "allowances": {"usdc": 200, "ytest.usd": 100},
    },
    preset={
        "name": "Demo parking meter",
        "counterparty": COUNTERPARTY,
        "asset": "usdc",
        "deposit": 20,
        "unit_price": 0.3,
        "advanced": {
            "protocol": "NitroRPC/0.4",
            "own_weight": 100,
            "counterparty_weight": 0,
            "quorum": 100,
            "challenge": 0,
            "application": APPLICATION,
        },
    },
)
DEMO_WALLETS = (NITRONODE_WALLET, CLEARNODE_WALLET)
# The ClearNode v0.5 has no faucet: it credits the demo wallets of a new ledger.
CLEARNODE_FUNDS = {
    CLEARNODE_WALLET.address: {"usdc": Decimal(1000), "ytest.usd": Decimal(500)},
    COUNTERPARTY: {"usdc": Decimal(100)},
}
