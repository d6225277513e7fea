"""The sandbox faucet: ``POST /v1/faucet-app/requestTokens {"userAddress": "0x…"}``.

Like ``faucet-app/server``: a valid address gets a fixed amount of the default asset by
an off-chain transfer (here a node-issued transfer_receive from the faucet wallet), once
per cooldown; every accepted request takes the slot, even one that then fails. Answers
have the faucet's shapes and texts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
import json
import re

from aiohttp import web

from custom_components.nitrolite.clearnode import to_checksum_address

from .constants import FAUCET_ADDRESS
from .context import Node
from .states import credit_from, go_amount

INVALID_REQUEST = "Invalid request format. Expected JSON with 'userAddress' field."
INVALID_ADDRESS = "Invalid address format."
RATE_LIMITED = "Rate limit exceeded. Please try again later."
SENT = "Tokens sent successfully"
MAX_BODY_BYTES = 4096
_HEX_ADDRESS = re.compile(r"(0[xX])?[0-9a-fA-F]{40}")


@dataclass(frozen=True, slots=True)
class FaucetSettings:
    """How much each request gets, and how often per wallet (seconds)."""

    amount: Decimal
    cooldown: float


class Faucet:
    """The HTTP handler, bound to a node."""

    def __init__(
        self, node: Node, settings: FaucetSettings, persist: Callable[[], None]
    ) -> None:
        """Serve ``settings.amount`` of the node's default asset."""
        self._node = node
        self._settings = settings
        self._persist = persist

    async def request_tokens(self, request: web.Request) -> web.Response:
        """Handle one faucet request."""
        address = await _user_address(request)
        if address is None:
            return _error(400, INVALID_REQUEST)
        if not _HEX_ADDRESS.fullmatch(address):
            return _error(400, INVALID_ADDRESS)
        destination = to_checksum_address("0x" + address[-40:])
        if not self._take_slot(destination):
            return _error(429, RATE_LIMITED)
        asset = self._node.config.default_asset
        tx_id = credit_from(
            self._node,
            FAUCET_ADDRESS,
            destination.lower(),
            asset,
            self._settings.amount,
        )
        self._persist()
        return web.json_response(
            {
                "success": True,
                "message": SENT,
                "txId": tx_id,
                "amount": go_amount(self._settings.amount),
                "asset": asset,
                "destination": destination,
            }
        )

    def _take_slot(self, destination: str) -> bool:
        claims = self._node.store.faucet_claims
        now = self._node.clock()
        last = claims.get(destination)
        if last is not None and now - last < self._settings.cooldown:
            return False
        claims[destination] = now
        return True


async def _user_address(request: web.Request) -> str | None:
    """Return the trimmed ``userAddress`` of a JSON body (None if missing or empty)."""
    body = await request.content.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return None
    try:
        data = json.loads(body)
    except ValueError, RecursionError:
        return None
    address = data.get("userAddress") if isinstance(data, dict) else None
    if not isinstance(address, str) or not address:
        return None
    return address.strip()


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
