"""A local ClearNode v0.5 for development, demos and tests (never installed for users)."""

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
