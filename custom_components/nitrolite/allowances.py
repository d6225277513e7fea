"""Spending caps of the session key, as typed by the user ("usdc: 10, ytest.usd: 5")."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
import re

from .clearnode import format_amount

_ASSET_SYMBOL = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def parse_allowances(text: str) -> dict[str, str]:
    """Parse "asset: amount" pairs separated by commas or new lines.

    Returns asset symbol -> normalised decimal text; raises ValueError when malformed.
    """
    allowances: dict[str, str] = {}
    for item in re.split(r"[,\n]", text):
        if not item.strip():
            continue
        asset, separator, amount_text = item.partition(":")
        asset = asset.strip().lower()
        if not separator or not _ASSET_SYMBOL.match(asset) or asset in allowances:
            raise ValueError(item.strip())
        try:
            amount = Decimal(amount_text.strip())
        except InvalidOperation as err:
            raise ValueError(item.strip()) from err
        if not amount.is_finite() or amount < 0:
            raise ValueError(item.strip())
        allowances[asset] = format_amount(amount)
    return allowances


def format_allowances(allowances: Mapping[str, str]) -> str:
    """Render stored allowances the way the user types them."""
    return ", ".join(f"{asset}: {amount}" for asset, amount in allowances.items())


def allowance_amounts(allowances: Mapping[str, str]) -> dict[str, Decimal]:
    """Convert stored allowances to the amounts the client expects."""
    return {asset: Decimal(amount) for asset, amount in allowances.items()}
