"""The allocations of this wallet's open app sessions, kept across restarts.

The ClearNode lists open sessions without their allocations and tells each participant
only its own share. A listed session whose version is still the one remembered here gets
its remembered allocations back, so payments and closing keep working after a restart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import TypedDict

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .clearnode import Allocation, AppSession
from .const import DOMAIN

STORAGE_VERSION = 1
SAVE_DELAY_SECONDS = 1


class _AllocationRecord(TypedDict):
    participant: str
    asset: str
    amount: str


class _SessionRecord(TypedDict):
    version: int
    allocations: list[_AllocationRecord]


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, _SessionRecord]]:
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.sessions")


async def async_remove_session_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the remembered allocations of a removed entry."""
    await _store(hass, entry_id).async_remove()


class SessionStore:
    """Remembers the version and allocations of each open session whose state we saw."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Nothing is read yet; see async_load."""
        self._store = _store(hass, entry_id)
        self._records: dict[str, _SessionRecord] = {}
        self._unsaved = False

    async def async_load(self) -> None:
        """Read what was remembered before the restart."""
        self._records = await self._store.async_load() or {}

    async def async_flush(self) -> None:
        """Write changes still waiting for their delayed save (before an unload)."""
        if self._unsaved:
            await self._store.async_save(self._data_to_save())

    def restore(self, open_sessions: Sequence[AppSession]) -> list[AppSession]:
        """Return the listed open sessions with the allocations remembered for them.

        Only a record of the listed version is used. Records are not dropped here: a
        listing may be older than a change we made meanwhile.
        """
        return [self._with_allocations(session) for session in open_sessions]

    @callback
    def async_retain(self, app_session_ids: Iterable[str]) -> None:
        """Forget every session but these (those closed while we were not running)."""
        kept = set(app_session_ids)
        if not self._records.keys() <= kept:
            self._records = {i: r for i, r in self._records.items() if i in kept}
            self._async_schedule_save()

    @callback
    def async_remember(self, session: AppSession) -> None:
        """Remember an open session's allocations; forget a session without them."""
        if session.status != "open" or session.allocations is None:
            self.async_forget(session.app_session_id)
            return
        self._records[session.app_session_id] = {
            "version": session.version,
            "allocations": [_allocation_record(a) for a in session.allocations],
        }
        self._async_schedule_save()

    @callback
    def async_forget(self, app_session_id: str) -> None:
        """Forget a session."""
        if self._records.pop(app_session_id, None) is not None:
            self._async_schedule_save()

    def _with_allocations(self, session: AppSession) -> AppSession:
        record = self._records.get(session.app_session_id)
        if (
            session.allocations is not None
            or record is None
            or record["version"] != session.version
        ):
            return session
        return replace(session, allocations=_allocations(record))

    @callback
    def _async_schedule_save(self) -> None:
        self._unsaved = True
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY_SECONDS)

    def _data_to_save(self) -> dict[str, _SessionRecord]:
        self._unsaved = False
        return self._records


def _allocation_record(allocation: Allocation) -> _AllocationRecord:
    return {
        "participant": allocation.participant,
        "asset": allocation.asset,
        "amount": str(allocation.amount),
    }


def _allocations(record: _SessionRecord) -> tuple[Allocation, ...]:
    return tuple(
        Allocation(item["participant"], item["asset"], Decimal(item["amount"]))
        for item in record["allocations"]
    )
