"""Local spending caps: what leaves the wallet, per asset, over a rolling window.

A node without server-enforced caps (v1) lets the wallet key spend anything. Home
Assistant then counts what leaves the wallet itself: deposits into app sessions (a
create with deposit, a ``deposit`` intent) and transfers. A payment inside a session
spends a deposit that was already counted. A request that would take an asset past
its cap within the window is refused before it is signed.

Each spend is on disk before its request is signed, so a crash cannot lose one that
may have happened. It is dropped again when the request certainly failed, or when the
settlement of an unanswered change shows that the change did not apply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from typing import Any, Literal, TypedDict

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.ulid import ulid_now

from .allowances import allowance_amounts
from .clearnode import EXACT, AmountError, format_amount, parse_amount
from .const import (
    CONF_ALLOWANCES,
    CONF_CAPS_WINDOW,
    DEFAULT_CAPS_WINDOW_HOURS,
    DOMAIN,
    LOGGER,
)
from .errors import async_spending_cap_exceeded, service_error
from .storage import async_save_verified

STORAGE_VERSION = 1
RELEASE_SAVE_DELAY_SECONDS = 1

type SpendKind = Literal["deposit", "transfer"]
SPEND_KINDS: tuple[SpendKind, ...] = ("deposit", "transfer")


class _SpendJson(TypedDict):
    id: str
    at: str
    asset: str
    amount: str
    kind: SpendKind
    reference: str


@dataclass(frozen=True, slots=True)
class Spend:
    """An amount of one asset that left, or may have left, the wallet."""

    id: str
    at: datetime
    asset: str
    amount: Decimal
    kind: SpendKind
    reference: str  # the app session deposited into, or the transfer's destination

    def as_json(self) -> _SpendJson:
        """Write the spend as stored."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "asset": self.asset,
            "amount": format_amount(self.amount),
            "kind": self.kind,
            "reference": self.reference,
        }


@dataclass(frozen=True, slots=True)
class Outlay:
    """What a request would take out of the wallet, by asset."""

    kind: SpendKind
    reference: str
    amounts: Mapping[str, Decimal]


def _store(hass: HomeAssistant, entry_id: str) -> Store[list[_SpendJson]]:
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.spending")


async def async_remove_spending_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the spending ledger of a removed entry."""
    await _store(hass, entry_id).async_remove()


class SpendingCaps:
    """The caps of one entry and the ledger of what was spent within the window."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Take the caps and window from the entry's options (else its data)."""
        self._hass = hass
        self._entry = entry
        self.caps = allowance_amounts(
            entry.options.get(CONF_ALLOWANCES, entry.data.get(CONF_ALLOWANCES, {}))
        )
        self.window_hours = float(
            entry.options.get(CONF_CAPS_WINDOW, DEFAULT_CAPS_WINDOW_HOURS)
        )
        self._store = _store(hass, entry.entry_id)
        self._spends: list[Spend] = []
        # Checking the caps and saving a spend happen as one step: two requests at
        # once cannot both pass a cap that only one of them fits.
        self._lock = asyncio.Lock()

    @property
    def window(self) -> timedelta:
        """How far back spends count."""
        return timedelta(hours=self.window_hours)

    async def async_load(self) -> None:
        """Read the ledger; drop entries that do not check out, with a warning."""
        self._spends = _checked_spends(await self._store.async_load())

    def used(self) -> dict[str, Decimal]:
        """Return what was spent within the window, by asset."""
        self._prune()
        spent: dict[str, Decimal] = {}
        with localcontext(EXACT):
            for spend in self._spends:
                spent[spend.asset] = spent.get(spend.asset, Decimal(0)) + spend.amount
        return spent

    def usage(self) -> dict[str, dict[str, str]]:
        """Return the cap, what was used and what is left of each asset (diagnostics)."""
        used = self.used()
        usage: dict[str, dict[str, str]] = {}
        with localcontext(EXACT):
            for asset in sorted(self.caps.keys() | used.keys()):
                cap = self.caps.get(asset, Decimal(0))
                spent = used.get(asset, Decimal(0))
                usage[asset] = {
                    "cap": format_amount(cap),
                    "used": format_amount(spent),
                    "left": format_amount(max(Decimal(0), cap - spent)),
                }
        return usage

    async def async_spend(self, outlay: Outlay) -> tuple[Spend, ...]:
        """Count an outlay as spent now, on disk, if every cap covers it.

        Raise the allowance error (and its repair) if a cap does not; raise if the
        ledger cannot be saved. Either way nothing is counted and nothing is signed.
        """
        async with self._lock:
            self._check(outlay)
            now = dt_util.utcnow()
            spends = tuple(
                Spend(ulid_now(), now, asset, amount, outlay.kind, outlay.reference)
                for asset, amount in outlay.amounts.items()
                if amount > 0
            )
            if not spends:
                return ()
            self._spends.extend(spends)
            if not await async_save_verified(self._store, self._as_json()):
                self._drop(spends)
                raise service_error("spending_ledger_failed")
        return spends

    @callback
    def async_release(self, spends: Iterable[Spend]) -> None:
        """Stop counting spends that did not happen; the ledger is saved shortly."""
        if self._drop(spends):
            self._store.async_delay_save(self._as_json, RELEASE_SAVE_DELAY_SECONDS)

    def _check(self, outlay: Outlay) -> None:
        used = self.used()
        with localcontext(EXACT):
            for asset, amount in outlay.amounts.items():
                cap = self.caps.get(asset, Decimal(0))
                spent = used.get(asset, Decimal(0))
                if spent + amount > cap:
                    raise async_spending_cap_exceeded(
                        self._hass, self._entry, self._reason(asset, amount, cap, spent)
                    )

    def _reason(self, asset: str, amount: Decimal, cap: Decimal, spent: Decimal) -> str:
        return (
            f"{format_amount(amount)} {asset} would exceed the local cap of "
            f"{format_amount(cap)} {asset} per {self.window_hours:g} h "
            f"({format_amount(spent)} {asset} spent)"
        )

    def _prune(self) -> None:
        """Forget spends older than the window."""
        since = dt_util.utcnow() - self.window
        self._spends = [spend for spend in self._spends if spend.at > since]

    def _drop(self, spends: Iterable[Spend]) -> bool:
        ids = {spend.id for spend in spends}
        kept = [spend for spend in self._spends if spend.id not in ids]
        dropped = len(kept) != len(self._spends)
        self._spends = kept
        return dropped

    def _as_json(self) -> list[_SpendJson]:
        return [spend.as_json() for spend in self._spends]


def _checked_spends(stored: object) -> list[Spend]:
    """Return the well-formed spends of a loaded ledger, with a warning for each other."""
    if stored is None:
        return []
    if not isinstance(stored, list):
        LOGGER.warning("Ignored the spending ledger: not a list")
        return []
    spends: list[Spend] = []
    for item in stored:
        try:
            spends.append(_checked_spend(item))
        except (AmountError, KeyError, TypeError, ValueError) as err:
            LOGGER.warning(
                "Dropped an entry of the spending ledger: %s (%s)",
                type(err).__name__,
                err,
            )
    return spends


def _checked_spend(item: Any) -> Spend:
    at = dt_util.parse_datetime(item["at"])
    if at is None or at.tzinfo is None:
        raise ValueError("at is not a time with a zone")
    if item["kind"] not in SPEND_KINDS:
        raise ValueError("unknown kind")
    amount = parse_amount(item["amount"])
    if amount <= 0:
        raise ValueError("amount is not positive")
    return Spend(
        id=str(item["id"]),
        at=at,
        asset=str(item["asset"]),
        amount=amount,
        kind=item["kind"],
        reference=str(item["reference"]),
    )
