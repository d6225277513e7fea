"""Fixed configuration of the local ClearNode: assets, network, limits and demo keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class AssetInfo:
    """One asset the server supports, as listed by get_assets."""

    token: str
    chain_id: int
    symbol: str
    decimals: int


LOCAL_CHAIN_ID: Final = 1337
DEFAULT_ASSETS: Final = (
    AssetInfo("0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238", LOCAL_CHAIN_ID, "usdc", 6),
    AssetInfo(
        "0xDB9F293e3898c9E5536A3be1b0C56c89d2b32DEb", LOCAL_CHAIN_ID, "ytest.usd", 6
    ),
)
LOCAL_NETWORK: Final = {
    "chain_id": LOCAL_CHAIN_ID,
    "name": "localnet",
    "custody_address": "0x019B65A265EB3363822f2752141b3dF16131b262",
    "adjudicator_address": "0x7c7ccbc98469190849BCC6c926307794fDfB11F2",
}

# Public test keys from the protocol vectors; never use them for real funds.
DEMO_WALLET_KEY: Final = (
    "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
)
DEMO_WALLET_ADDRESS: Final = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
DEMO_COUNTERPARTY_KEY: Final = (
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
)
DEMO_COUNTERPARTY_ADDRESS: Final = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
DEMO_BROKER_KEY: Final = (
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"
)

# Behaviour of the real server (clearnode v0.5).
MESSAGE_EXPIRY_SECONDS: Final = 60
CHALLENGE_LIFETIME_SECONDS: Final = 300
MAX_PENDING_CHALLENGES: Final = 1000
JWT_LIFETIME_SECONDS: Final = 24 * 3600
AUTH_SESSION_LIFETIME_SECONDS: Final = 24 * 3600
ROOT_APPLICATION: Final = "clearnode"
SUPPORTED_PROTOCOLS: Final = frozenset({"NitroRPC/0.2", "NitroRPC/0.4"})
DEFAULT_PAGE_SIZE: Final = 10
MAX_PAGE_SIZE: Final = 100

# Resource bounds of this implementation.
MAX_CONNECTIONS: Final = 256
MAX_MESSAGE_BYTES: Final = 64 * 1024
OUTBOUND_QUEUE_SIZE: Final = 256
