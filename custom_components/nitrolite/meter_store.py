"""What metered presets remember across restarts: the reading their payments cover.

Each metered preset keeps, for its current session, the meter reading the payments so
far cover (its *baseline*) and, while a payment's outcome is unknown, that payment as
*pending*: the reading it would cover and the session version it makes. The pending
payment is on disk before the payment is signed, so after a restart the session's
version tells whether it applied; nothing is paid twice or skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, localcontext
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store

from .clearnode import (
    EXACT,
    Allocation,
    AmountError,
    ClearNodeValidationError,
    format_amount,
    parse_amount,
)
from .const import DOMAIN, LOGGER
from .errors import service_error
from .meter import Baseline, MeteredPayment, plain
from .serialize import allocations_json
from .storage import parse_allocations

STORAGE_VERSION = 1
SAVE_DELAY_SECONDS = 1


@dataclass(frozen=True, slots=True)
class PendingPayment:
    """A payment saved before it was signed, until its outcome is known."""

    version: int  # the session's version once it applied
    payment: MeteredPayment
    allocations: tuple[Allocation, ...]  # the session's allocations once it applied


@dataclass(frozen=True, slots=True)
class MeterState:
    """What one metered preset remembers."""

    enabled: bool = True
    session_id: str | None = None  # the session the baseline belongs to
    baseline: Baseline | None = None  # None until the meter gave a usable reading
    units_paid: Decimal = Decimal(0)  # in the current session
    last_payment: MeteredPayment | None = None
    pending: PendingPayment | None = None

    def settled(self, *, applied: bool) -> MeterState:
        """Return the state once the pending payment applied, or did not."""
        pending = self.pending
        if pending is None or not applied:
            return replace(self, pending=None)
        payment = pending.payment
        baseline = self.baseline
        with localcontext(EXACT):
            units_paid = plain(self.units_paid + payment.units)
        return replace(
            self,
            baseline=None
            if baseline is None
            else replace(baseline, reading=payment.reading),
            units_paid=units_paid,
            last_payment=payment,
            pending=None,
        )


class MeterStore:
    """The metered presets' states of one entry, by preset subentry id.

    A state a payment relies on is saved at once, the rest within a second. Store logs a
    failed write and drops it, so every write is read back; writes take turns, so that
    each reads back its own.
    """

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Nothing is read yet; see async_load."""
        self._hass = hass
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.meters"
        )
        self._states: dict[str, MeterState] = {}
        self._write_lock = asyncio.Lock()
        self._unsub_save: CALLBACK_TYPE | None = None
        self._closed = False  # written a last time: the entry unloads

    async def async_load(self, subentry_ids: Iterable[str]) -> None:
        """Read the states of these presets (the metered ones); forget the others."""
        stored = await self._store.async_load()
        records = stored if isinstance(stored, dict) else {}
        self._states = {
            subentry_id: _checked_state(subentry_id, records[subentry_id])
            for subentry_id in subentry_ids
            if subentry_id in records
        }

    async def async_remove(self) -> None:
        """Delete the file (the entry is removed)."""
        await self._store.async_remove()

    def get(self, subentry_id: str) -> MeterState:
        """Return a preset's state (a fresh one if none was saved)."""
        return self._states.get(subentry_id, MeterState())

    @callback
    def async_set(self, subentry_id: str, state: MeterState) -> None:
        """Change a preset's state; it is saved within a second."""
        self._states[subentry_id] = state
        if not self._closed and self._unsub_save is None:
            self._unsub_save = async_call_later(
                self._hass, SAVE_DELAY_SECONDS, self._async_delayed_write
            )

    async def async_save_now(self) -> None:
        """Write every state and read it back; raise if it is not on disk."""
        if self._closed or not await self._async_write():
            raise service_error("meter_store_failed")

    async def async_close(self) -> None:
        """Write the states a last time (the entry unloads); nothing is saved after.

        The next set-up reads the file: a late write of this instance could undo its
        changes.
        """
        self._closed = True
        if self._unsub_save is not None:
            self._unsub_save()
            self._unsub_save = None
        await self._async_write()

    async def _async_delayed_write(self, _now: datetime) -> None:
        self._unsub_save = None
        await self._async_write()

    async def _async_write(self) -> bool:
        """Write every state; return whether the file reads back as written."""
        async with self._write_lock:
            data = {
                subentry_id: _state_json(state)
                for subentry_id, state in self._states.items()
            }
            await self._store.async_save(data)
            return await self._store.async_load() == data


def _payment_json(payment: MeteredPayment | None) -> dict[str, str] | None:
    if payment is None:
        return None
    return {
        "amount": format_amount(payment.amount),
        "units": format_amount(payment.units),
        "reading": format_amount(payment.reading),
    }


def _state_json(state: MeterState) -> dict[str, Any]:
    baseline, pending = state.baseline, state.pending
    return {
        "enabled": state.enabled,
        "session_id": state.session_id,
        "baseline": None
        if baseline is None
        else {
            "entity_id": baseline.entity_id,
            "reading": format_amount(baseline.reading),
            "unit": baseline.unit,
        },
        "units_paid": format_amount(state.units_paid),
        "last_payment": _payment_json(state.last_payment),
        "pending": None
        if pending is None
        else {
            "version": pending.version,
            "payment": _payment_json(pending.payment),
            "allocations": allocations_json(pending.allocations),
        },
    }


def _checked_state(subentry_id: str, record: Any) -> MeterState:
    """Read a saved state; one that does not check out leaves metering off.

    Paying on from a damaged record could pay a stretch twice.
    """
    try:
        return _state(record)
    except (AmountError, ClearNodeValidationError, KeyError, TypeError) as err:
        LOGGER.warning(
            "Turned metering of preset %s off: its saved state is damaged (%s: %s)",
            subentry_id,
            type(err).__name__,
            err,
        )
        return MeterState(enabled=False)


def _state(record: Mapping[str, Any]) -> MeterState:
    enabled, session_id = record["enabled"], record["session_id"]
    if not isinstance(enabled, bool):
        raise TypeError("enabled is not a boolean")
    if session_id is not None and not isinstance(session_id, str):
        raise TypeError("session_id is not a string")
    return MeterState(
        enabled=enabled,
        session_id=session_id,
        baseline=_optional(_baseline, record["baseline"]),
        units_paid=parse_amount(record["units_paid"]),
        last_payment=_optional(_payment, record["last_payment"]),
        pending=_optional(_pending, record["pending"]),
    )


def _optional[T](parse: Callable[[Any], T], value: Any) -> T | None:
    return None if value is None else parse(value)


def _baseline(value: Mapping[str, Any]) -> Baseline:
    entity_id, unit = value["entity_id"], value["unit"]
    if not isinstance(entity_id, str) or not (unit is None or isinstance(unit, str)):
        raise TypeError("baseline entity or unit is not a string")
    return Baseline(entity_id, parse_amount(value["reading"]), unit)


def _payment(value: Mapping[str, Any]) -> MeteredPayment:
    return MeteredPayment(
        parse_amount(value["amount"]),
        parse_amount(value["units"]),
        parse_amount(value["reading"]),
    )


def _pending(value: Mapping[str, Any]) -> PendingPayment:
    version = value["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise TypeError("version is not a positive integer")
    return PendingPayment(
        version, _payment(value["payment"]), parse_allocations(value["allocations"])
    )
