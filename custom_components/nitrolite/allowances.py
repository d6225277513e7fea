"""Spending caps of the session key: the assets offered, the suggested cap of each.

Entry data and options keep the caps as ``{asset: "amount"}`` strings. The session key
may not spend an asset whose cap is 0 or that has no cap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
import re

from .clearnode import EXACT, Asset, format_amount, parse_amount

MAX_OFFERED_ASSETS = 50
# Suggested when the wallet holds none of an asset: small, but lets it be used once funded.
CAP_WITHOUT_BALANCE = Decimal(1)
_SUGGESTED_SHARE = Decimal("0.1")
_ROUND_FIGURES = (Decimal(5), Decimal(2), Decimal(1))
# Symbols become form field names and text in the form's description.
_ASSET_SYMBOL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")


def offered_assets(assets: Iterable[Asset]) -> list[str]:
    """Return the distinct well-formed symbols of the server's assets, in its order."""
    symbols: list[str] = []
    for asset in assets:
        if asset.symbol not in symbols and _ASSET_SYMBOL.fullmatch(asset.symbol):
            symbols.append(asset.symbol)
    return symbols[:MAX_OFFERED_ASSETS]


def suggested_cap(balance: Decimal) -> Decimal:
    """Suggest a tenth of the balance, rounded down to 1, 2 or 5 times a power of ten."""
    if balance <= 0:
        return CAP_WITHOUT_BALANCE
    with localcontext(EXACT):
        tenth = balance * _SUGGESTED_SHARE
        power = Decimal(1).scaleb(tenth.adjusted())
        return next(
            figure * power for figure in _ROUND_FIGURES if figure * power <= tenth
        )


def allowance_amounts(allowances: Mapping[str, str]) -> dict[str, Decimal]:
    """Convert stored caps to the amounts the client expects."""
    return {asset: parse_amount(amount) for asset, amount in allowances.items()}


@dataclass(frozen=True, slots=True)
class AssetOffer:
    """The assets a ClearNode offers, with the wallet's unified balance of each.

    A balance is None where it is not known (the entry is not connected).
    """

    balances: dict[str, Decimal | None]

    @classmethod
    def of(
        cls, assets: Iterable[str], balances: Mapping[str, Decimal] | None
    ) -> AssetOffer:
        """Pair each asset with its balance: 0 if the wallet holds none, None if unknown."""
        return cls(
            {
                asset: None if balances is None else balances.get(asset, Decimal(0))
                for asset in assets
            }
        )

    @property
    def assets(self) -> list[str]:
        """The offered asset symbols."""
        return list(self.balances)

    def suggested_caps(self) -> dict[str, Decimal]:
        """Suggest a cap per asset from its balance."""
        return {
            asset: suggested_cap(balance or Decimal(0))
            for asset, balance in self.balances.items()
        }

    def describe(self) -> str:
        """List the assets with their balances, one Markdown list item each."""
        return "\n".join(
            f"- {asset}" if balance is None else f"- {asset}: {format_amount(balance)}"
            for asset, balance in self.balances.items()
        )
