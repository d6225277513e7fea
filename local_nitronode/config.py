"""What the node serves: its version, chains and assets, and lookups over them."""

from __future__ import annotations

from dataclasses import dataclass
import re

from .constants import (
    DEFAULT_ASSET,
    DEFAULT_ASSETS,
    DEFAULT_BLOCKCHAINS,
    NODE_VERSION,
    Asset,
    Blockchain,
    Token,
)

_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")
# v1.4.0 moved the frame budget to the connection: an overrun closes the socket.
_CLOSING_RATE_LIMIT = (1, 4, 0)


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """Static configuration; ``node_version`` lets tests present older releases."""

    node_version: str = NODE_VERSION
    blockchains: tuple[Blockchain, ...] = DEFAULT_BLOCKCHAINS
    assets: tuple[Asset, ...] = DEFAULT_ASSETS
    default_asset: str = DEFAULT_ASSET

    @property
    def answers_rate_limit(self) -> bool:
        """Whether an overrun is answered (v1.2–v1.3) instead of closing the socket."""
        match = _VERSION.fullmatch(self.node_version)
        if match is None:
            return False
        return tuple(int(part) for part in match.groups()) < _CLOSING_RATE_LIMIT

    def asset(self, symbol: str) -> Asset | None:
        """Return the asset with this exact symbol."""
        return next((a for a in self.assets if a.symbol == symbol), None)

    def asset_decimals(self, symbol: str) -> int:
        """MemoryStore.GetAssetDecimals (ValueError with its text when unknown)."""
        asset = self.asset(symbol)
        if asset is None:
            raise ValueError(f"asset '{symbol}' is not supported")
        return asset.decimals

    def token(self, blockchain_id: int, address: str) -> Token | None:
        """Return the token at this address (any case) on this chain."""
        address = address.lower()
        return next(
            (
                token
                for asset in self.assets
                for token in asset.tokens
                if token.blockchain_id == blockchain_id and token.address == address
            ),
            None,
        )

    def supports(self, symbol: str, address: str, blockchain_id: int) -> bool:
        """MemoryStore.IsAssetSupported: the token carries this asset on this chain."""
        asset = self.asset(symbol)
        return asset is not None and any(
            token.blockchain_id == blockchain_id and token.address == address.lower()
            for token in asset.tokens
        )
