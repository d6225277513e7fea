"""Session keys: delegation of a wallet to another key, bound to an application."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
import time

from .constants import ROOT_APPLICATION
from .errors import RPCError
from .goformat import go_decimal
from .ledger import Ledger

EXPIRED = "session key already exists but is expired"
OTHER_WALLET = "signer is already in use for another wallet"


@dataclass(slots=True)
class SessionKey:
    """One registered key, as stored by the server (addresses exactly as sent)."""

    address: str
    wallet: str
    application: str
    allowances: list[tuple[str, str]]
    scope: str
    expires_at: float
    key_id: int = 0
    created_at: float = field(default_factory=time.time)

    @property
    def expired(self) -> bool:
        """Go's isExpired: now is after the expiry."""
        return time.time() > self.expires_at


class SessionKeys:
    """The key registry with the replacement and lookup rules of the real server."""

    def __init__(self, ledger: Ledger) -> None:
        """Spending is read from the ledger's per-key debits."""
        self._ledger = ledger
        self._keys: dict[str, SessionKey] = {}

    def __iter__(self) -> Iterator[SessionKey]:
        """Every stored key, expired ones included."""
        return iter(list(self._keys.values()))

    def exists_for(self, wallet: str, address: str) -> bool:
        """CheckSessionKeyExists: True if already ours; raises if unusable."""
        key = self._keys.get(address)
        if key is None:
            return False
        if key.wallet != wallet:
            raise RPCError(EXPIRED if key.expired else OTHER_WALLET)
        if key.expired:
            raise RPCError(EXPIRED)
        return True

    def add(self, key: SessionKey) -> None:
        """AddSessionKey: the new key replaces the wallet's key for that application."""
        if key.expired:
            raise RPCError("expiration time must be set and in the future")
        for old in list(self._keys.values()):
            if old.wallet == key.wallet and old.application == key.application:
                del self._keys[old.address]
        key.key_id = max((k.key_id for k in self._keys.values()), default=0) + 1
        self._keys[key.address] = key

    def restore(self, key: SessionKey) -> None:
        """Load a stored key unchanged."""
        self._keys[key.address] = key

    def wallet_of(self, address: str) -> str:
        """GetWalletBySessionKey: the owner of an unexpired key, else ""."""
        key = self._keys.get(address)
        return "" if key is None or key.expired else key.wallet

    def active(self, address: str) -> SessionKey:
        """GetSessionKeyIfActive (root keys never expire here)."""
        key = self._keys.get(address)
        if key is None:
            raise RPCError(
                f"failed to retrieve session key {address}: record not found"
            )
        if key.application != ROOT_APPLICATION and key.expired:
            raise RPCError("session key expired")
        return key

    def owned_active(self, address: str, wallet: str) -> SessionKey | None:
        """GetActiveSessionKeyForWallet: the wallet's unexpired key at this address."""
        key = self._keys.get(address)
        return (
            key
            if key is not None and key.wallet == wallet and not key.expired
            else None
        )

    def active_of_wallet(self, wallet: str) -> list[SessionKey]:
        """Unexpired keys of a wallet, newest first."""
        keys = [k for k in self._keys.values() if k.wallet == wallet and not k.expired]
        return sorted(keys, key=lambda k: k.created_at, reverse=True)

    def revoke(self, address: str) -> None:
        """Expire a key now; it can never be registered again."""
        self._keys[address].expires_at = time.time()

    def spent(self, address: str, asset: str) -> Decimal:
        """Cumulative debits signed by this key in this asset."""
        return self._ledger.spent.get(address, {}).get(asset, Decimal(0))


def check_application(key: SessionKey, application: str) -> None:
    """ValidateSessionKeyApplication."""
    if key.application not in (ROOT_APPLICATION, application):
        msg = (
            f"session key application mismatch: session key is for '{key.application}', "
            f"but app session is for '{application}'"
        )
        raise RPCError(msg)


def check_spending(
    keys: SessionKeys, key: SessionKey, asset: str, amount: Decimal
) -> None:
    """ValidateSessionKeySpending: cumulative debits must stay within the allowance."""
    if key.application == ROOT_APPLICATION:
        return
    allowed = _allowance(key, asset)
    spent = keys.spent(key.address, asset)
    if spent + amount > allowed:
        msg = (
            "operation denied: insufficient session key allowance: "
            f"{go_decimal(amount)} required, {go_decimal(allowed - spent)} available"
        )
        raise RPCError(msg)


def _allowance(key: SessionKey, asset: str) -> Decimal:
    for allowed_asset, amount in key.allowances:
        if allowed_asset == asset:
            try:
                return Decimal(amount)
            except InvalidOperation as err:
                msg = f"operation denied: failed to parse allowed amount: {amount}"
                raise RPCError(msg) from err
    msg = f"operation denied: asset {asset} not allowed in session key spending cap"
    raise RPCError(msg)
