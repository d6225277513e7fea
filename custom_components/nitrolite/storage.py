"""The allocations of this wallet's open app sessions, kept across restarts.

The ClearNode lists open sessions without their allocations and tells each participant
only its own share. A listed session whose version is still the one remembered here gets
its remembered allocations back, so payments and closing keep working after a restart.
A session about to be created is remembered before its request is sent: a crash before
the answer cannot leave a funded session whose allocations Home Assistant never saw.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypedDict

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store

from .clearnode import (
    Allocation,
    AmountError,
    AppSession,
    ClearNodeValidationError,
    format_amount,
    parse_address,
    parse_amount,
)
from .const import DOMAIN, LOGGER
from .errors import service_error
from .serialize import AllocationJson, allocations_json

STORAGE_VERSION = 1
SAVE_DELAY_SECONDS = 1


class _SessionRecord(TypedDict):
    version: int
    allocations: list[AllocationJson]


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, _SessionRecord]]:
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.sessions")


async def async_save_verified[T: Mapping[str, Any] | Sequence[Any]](
    store: Store[T], data: T
) -> bool:
    """Write ``data`` and read it back: Store logs a failed write and drops it."""
    await store.async_save(data)
    return await store.async_load() == data


async def async_remove_session_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the remembered allocations of a removed entry."""
    await _store(hass, entry_id).async_remove()


class SessionStore:
    """Remembers the version and allocations of each open session whose state we saw.

    Store logs a failed write and drops it, so every write is read back: a change counts
    as saved only once the file holds a write made after it.
    """

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Nothing is read yet; see async_load."""
        self._hass = hass
        self._store = _store(hass, entry_id)
        self._records: dict[str, _SessionRecord] = {}
        self._changes = 0  # changes made so far
        self._saved = 0  # changes known to be on disk
        self._write_lock = asyncio.Lock()
        self._unsub_save: CALLBACK_TYPE | None = None

    @property
    def unsaved(self) -> bool:
        """Whether a change has not reached the disk yet."""
        return self._saved != self._changes

    async def async_load(self) -> None:
        """Read what was remembered before the restart; drop records that do not check out."""
        self._records = _checked_records(await self._store.async_load())

    async def async_flush(self) -> None:
        """Write the changes still waiting for their delayed save (unload, stop)."""
        if self._unsub_save is not None:
            self._unsub_save()
            self._unsub_save = None
        if self.unsaved:
            await self._async_write()

    async def async_remember_now(self, session: AppSession) -> None:
        """Remember a session and wait until it is on disk; raise if it cannot be written."""
        self.async_remember(session)
        await self._async_write()
        if self.unsaved:
            raise service_error("session_store_failed")

    def restore(self, open_sessions: Sequence[AppSession]) -> list[AppSession]:
        """Return the listed open sessions with the allocations remembered for them.

        Only a record of the listed version is used. Records are not dropped here: a
        listing may be older than a change we made meanwhile.
        """
        return [self._with_allocations(session) for session in open_sessions]

    @callback
    def async_retain(self, app_session_ids: Iterable[str]) -> None:
        """Forget every session but these (those closed while we were not running)."""
        gone = self._records.keys() - set(app_session_ids)
        for session_id in gone:
            del self._records[session_id]
        if gone:
            self._async_schedule_save()

    @callback
    def async_remember(self, session: AppSession) -> None:
        """Remember an open session's allocations; forget a session without them."""
        allocations = allocations_json(session.allocations)
        if session.status != "open" or allocations is None:
            self.async_forget(session.app_session_id)
            return
        record: _SessionRecord = {
            "version": session.version,
            "allocations": allocations,
        }
        if self._records.get(session.app_session_id) != record:
            self._records[session.app_session_id] = record
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
        self._changes += 1
        if self._unsub_save is None:
            self._unsub_save = async_call_later(
                self._hass, SAVE_DELAY_SECONDS, self._async_delayed_write
            )

    async def _async_delayed_write(self, _now: datetime) -> None:
        self._unsub_save = None
        await self._async_write()

    async def _async_write(self) -> None:
        """Write every record; note the changes it holds once the file shows it."""
        async with self._write_lock:
            change = self._changes
            if await async_save_verified(self._store, dict(self._records)):
                self._saved = max(self._saved, change)


def _allocations(record: _SessionRecord) -> tuple[Allocation, ...]:
    return parse_allocations(record["allocations"])


def parse_allocations(items: Any) -> tuple[Allocation, ...]:
    """Read allocations written by ``allocations_json``; raise if one does not check out.

    Raises AmountError, ClearNodeValidationError, KeyError or TypeError.
    """
    return tuple(
        Allocation(item["participant"], item["asset"], parse_amount(item["amount"]))
        for item in map(_checked_allocation, items)
    )


def _checked_records(stored: object) -> dict[str, _SessionRecord]:
    """Return the well-formed records of a loaded file, with a warning for each other."""
    if stored is None:
        return {}
    if not isinstance(stored, dict):
        LOGGER.warning("Ignored the remembered app sessions: not a mapping")
        return {}
    records: dict[str, _SessionRecord] = {}
    for session_id, record in stored.items():
        try:
            records[session_id] = _checked_record(record)
        except (AmountError, ClearNodeValidationError, KeyError, TypeError) as err:
            LOGGER.warning(
                "Dropped the remembered state of app session %s: %s (%s)",
                session_id,
                type(err).__name__,
                err,
            )
    return records


def _checked_record(record: Any) -> _SessionRecord:
    version = record["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise TypeError("version is not a positive integer")
    return {
        "version": version,
        "allocations": [_checked_allocation(item) for item in record["allocations"]],
    }


def _checked_allocation(item: Any) -> AllocationJson:
    asset = item["asset"]
    if not isinstance(asset, str) or not asset:
        raise TypeError("asset is not a symbol")
    return {
        "participant": parse_address(item["participant"], "participant"),
        "asset": asset,
        "amount": format_amount(parse_amount(item["amount"])),
    }
