"""What the v1 operations know of the node, and how they read it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..addresses import to_checksum_address  # noqa: TID252
from ..errors import (  # noqa: TID252
    ClearNodeBrokerChangedError,
    ClearNodeProtocolError,
    ClearNodeValidationError,
)
from .channels import Ledger
from .models import Asset, NodeConfig, Token, parse_items

type Send = Callable[[str, Mapping[str, Any]], Awaitable[Mapping[str, Any]]]


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """What the operations need to know of the node: its config and its assets."""

    config: NodeConfig
    assets: Mapping[str, Asset]

    def asset(self, symbol: str) -> Asset:
        """Return an asset of the node by symbol (a validation error if it has none)."""
        found = self.assets.get(symbol) if isinstance(symbol, str) else None
        if found is None:
            raise ClearNodeValidationError(
                "asset", f"{symbol} is not an asset of the node"
            )
        return found

    def home_token(self, asset: Asset) -> Token:
        """Return the token a new home channel of ``asset`` holds (the suggested chain)."""
        token = asset.token_on(asset.suggested_blockchain_id)
        if token is None:
            msg = f"{asset.symbol} has no token on its suggested chain"
            raise ClearNodeProtocolError(msg)
        return token

    def token_of(self, asset: Asset, ledger: Ledger) -> Token:
        """Return the token a channel's ledger holds, whose decimals pack its states."""
        token = asset.token_on(ledger.blockchain_id)
        if token is None or token.address.lower() != ledger.token_address.lower():
            msg = f"the {asset.symbol} channel holds a token the node does not list"
            raise ClearNodeProtocolError(msg)
        return token


async def read_node(send: Send, node_address: str | None = None) -> NodeInfo:
    """Read ``get_config`` and ``get_assets``; refuse nodes older than v1.3.0.

    With ``node_address`` (EIP-55), a node with another address is refused before
    anything else is read (ClearNodeBrokerChangedError).
    """
    config = NodeConfig.from_wire(await send("node.v1.get_config", {}))
    actual = to_checksum_address(config.node_address)
    if node_address is not None and actual != node_address:
        raise ClearNodeBrokerChangedError(node_address, actual)
    config.require_supported()
    result = await send("node.v1.get_assets", {})
    assets = parse_items(result, "assets", Asset.from_wire)
    return NodeInfo(config, {asset.symbol: asset for asset in assets})
