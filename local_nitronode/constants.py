"""Fixed configuration of the local Nitronode: network, assets, limits and demo keys."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
import re
from typing import Final


@dataclass(frozen=True, slots=True)
class Blockchain:
    """One chain the node serves (get_config.blockchains)."""

    name: str
    blockchain_id: int
    channel_hub_address: str
    confirmation_delay_secs: int = 0


@dataclass(frozen=True, slots=True)
class Token:
    """One token contract of an asset on one chain (lowercase address)."""

    name: str
    symbol: str
    address: str
    blockchain_id: int
    decimals: int


@dataclass(frozen=True, slots=True)
class Asset:
    """An asset: its precision in human units and the tokens that carry it."""

    name: str
    symbol: str
    decimals: int
    suggested_blockchain_id: int
    tokens: tuple[Token, ...]


LOCAL_CHAIN_ID: Final = 31337
SEPOLIA_CHAIN_ID: Final = 11155111
DEFAULT_BLOCKCHAINS: Final = (
    Blockchain(
        "localnet", LOCAL_CHAIN_ID, "0x5fbdb2315678afecb367f032d93f642f64180aa3"
    ),
    Blockchain(
        "sepolia", SEPOLIA_CHAIN_ID, "0x019b65a265eb3363822f2752141b3df16131b262"
    ),
)
# yusd carries 6 decimals off chain, 18 in its local token: scaling is exercised.
DEFAULT_ASSETS: Final = (
    Asset(
        "Yellow USD",
        "yusd",
        6,
        LOCAL_CHAIN_ID,
        (
            Token(
                "Yellow USD",
                "yusd",
                "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512",
                LOCAL_CHAIN_ID,
                18,
            ),
            Token(
                "Yellow USD",
                "yusd",
                "0x67a5f0b0553e22689a539b80cbe4a1cd126e2bde",
                SEPOLIA_CHAIN_ID,
                6,
            ),
        ),
    ),
    Asset(
        "USD Coin",
        "usdc",
        6,
        LOCAL_CHAIN_ID,
        (
            Token(
                "USD Coin",
                "usdc",
                "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0",
                LOCAL_CHAIN_ID,
                6,
            ),
        ),
    ),
)
DEFAULT_ASSET: Final = "yusd"
NODE_VERSION: Final = "v1.4.1"

# Public Anvil/Hardhat test keys; never use them for real funds.
DEMO_NODE_KEY: Final = (
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"
)
DEMO_WALLET_KEY: Final = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
)
DEMO_WALLET_ADDRESS: Final = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
DEMO_COUNTERPARTY_KEY: Final = (
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
)
DEMO_COUNTERPARTY_ADDRESS: Final = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
FAUCET_ADDRESS: Final = "0x15d34aaf54267db7d7c367839aaf71a00a2c6a65"

# Behaviour of the real server (nitronode v1.4.1 defaults).
APPLICATION_ID_PATTERN: Final = "^[a-z0-9_-]{1,66}$"
APPLICATION_ID: Final = re.compile(APPLICATION_ID_PATTERN)
PING_INTERVAL_SECONDS: Final = 5.0
PONG_TIMEOUT_SECONDS: Final = 10.0
MAX_FRAME_BYTES: Final = 128 * 1024
RATE_LIMIT_PER_SECOND: Final = 10.0
RATE_LIMIT_BURST: Final = 20.0
MAX_PARTICIPANTS: Final = 32
MAX_SESSION_DATA_BYTES: Final = 1024
MAX_SESSION_KEY_IDS: Final = 10
MAX_SESSION_KEYS_PER_USER: Final = 100
MIN_CHALLENGE_SECONDS: Final = 24 * 3600
MAX_CHALLENGE_SECONDS: Final = 7 * 24 * 3600
DEFAULT_PAGE_SIZE: Final = 10
MAX_PAGE_SIZE: Final = 100
KEY_STATES_PAGE_SIZE: Final = 10
CHANNELS_DEFAULT_PAGE_SIZE: Final = 100
CHANNELS_MAX_PAGE_SIZE: Final = 1000
SUPPORTED_SIG_VALIDATORS: Final = (0, 1)
FAUCET_AMOUNT: Final = Decimal(10)
FAUCET_COOLDOWN_SECONDS: Final = 24 * 3600.0

# Resource bounds of this implementation.
MAX_CONNECTIONS: Final = 256
OUTBOUND_QUEUE_SIZE: Final = 64
