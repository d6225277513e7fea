"""Double-entry-free ledger: balances per (account, wallet, asset) and session-key spending.

Accounts are wallets (unified balance) or app-session ids (each participant's share is
kept under the wallet). Mutations inside `transaction()` are undone when it raises, like
the database transaction around every operation of the real server.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
import re

from custom_components.nitrolite.clearnode import to_checksum_address

_ADDRESS = re.compile(r"^0[xX][0-9a-fA-F]{40}$")
_Entry = tuple[tuple[str, str], str, Decimal, str | None, bool]


def account_id(value: str) -> str:
    """Go's NewAccountID / common.HexToAddress: addresses are checksummed, ids kept."""
    if _ADDRESS.match(value):
        return to_checksum_address(value)
    return value


class Ledger:
    """Balances and per-session-key debits, with rollback."""

    def __init__(self) -> None:
        """Start empty."""
        self._balances: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
        self.spent: dict[str, dict[str, Decimal]] = defaultdict(dict)
        self._journal: list[_Entry] | None = None

    def balance(self, account: str, wallet: str, asset: str) -> Decimal:
        """One balance; zero when never touched."""
        return self._balances[account_id(account), account_id(wallet)].get(
            asset, Decimal(0)
        )

    def balances(self, account: str, wallet: str) -> dict[str, Decimal]:
        """Every asset ever recorded for (account, wallet), zero ones included."""
        return dict(self._balances.get((account_id(account), account_id(wallet)), {}))

    def holdings(self, account: str) -> dict[str, Decimal]:
        """Per-asset total of an account over all wallets (an app session's funds)."""
        account = account_id(account)
        total: dict[str, Decimal] = {}
        for (held_in, _wallet), assets in self._balances.items():
            if held_in == account:
                for asset, amount in assets.items():
                    total[asset] = total.get(asset, Decimal(0)) + amount
        return total

    def record(
        self,
        account: str,
        wallet: str,
        asset: str,
        amount: Decimal,
        session_key: str | None = None,
    ) -> None:
        """Add a signed amount; a debit signed by a session key counts as its spending."""
        key = (account_id(account), account_id(wallet))
        assets = self._balances[key]
        created = asset not in assets
        assets[asset] = assets.get(asset, Decimal(0)) + amount
        if session_key is not None and amount < 0:
            self._add_spending(session_key, asset, -amount)
        if self._journal is not None:
            self._journal.append((key, asset, amount, session_key, created))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Undo every record made inside when the block raises (no nesting)."""
        self._journal = []
        try:
            yield
        except BaseException:
            for entry in reversed(self._journal):
                self._undo(entry)
            raise
        finally:
            self._journal = None

    def entries(self) -> Iterator[tuple[str, str, str, Decimal]]:
        """Every balance row, for persistence."""
        for (account, wallet), assets in self._balances.items():
            for asset, amount in assets.items():
                yield account, wallet, asset, amount

    def _undo(self, entry: _Entry) -> None:
        key, asset, amount, session_key, created = entry
        assets = self._balances[key]
        if created:
            del assets[asset]
        else:
            assets[asset] -= amount
        if session_key is not None and amount < 0:
            self._add_spending(session_key, asset, amount)

    def _add_spending(self, session_key: str, asset: str, amount: Decimal) -> None:
        spent = self.spent[session_key]
        spent[asset] = spent.get(asset, Decimal(0)) + amount
